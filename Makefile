# The two commands: `make run` (whole service on embedded defaults) and `make test` (whole suite).
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: run test lint format install browser pgclient check bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,lint]"
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser test (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: install Debian's chromium package for the browser test" >&2; fi; }

# PostgreSQL's client tools for `backup`/`restore` (pg_dump, pg_restore) when the suite runs on PostgreSQL.
pgclient:
	@case "$${DATABASE_URL:-}" in postgres*) command -v pg_dump >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; \
	  else echo "pg_dump missing: install Debian's postgresql-client for the backup tests" >&2; fi; };; esac

run: install
	SIMULATOR=1 $(PY) -m service.devrun

test: lint browser pgclient
	$(PY) -m pytest

# The layers (import-linter), lint and format (ruff), types (mypy): `make test` runs these first.
lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install
	$(VENV)/bin/flask --app service menus check

bench: install
	$(PY) bench/ussd.py
	$(PY) bench/alerts.py
	$(PY) bench/fanout.py

clean:
	rm -rf $(VENV) .pytest_cache
