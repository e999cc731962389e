"""Console downloads under a district's load: 200,000 people and 100,000 cases on SQLite (and PostgreSQL).

Fills the database with the digest benchmark's generator (`bench/digest_data.py`), signs a coordinator in through
the real form, then downloads each export through Flask's test client (no network: the time is the server's, from
the request in to the last byte) and prints, per export and format: seconds to the first byte and to the last,
the size, and the peak of Python memory allocated while it ran (tracemalloc: what one gunicorn worker holds).

    .venv/bin/python -m bench.exports [--people 200000] [--cases 100000] [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from flask import Flask

from bench.area_data import fill_area
from bench.digest import own_postgres
from bench.digest_data import Loader, load_postgres, load_sqlite
from bench.harness import free_port, start_throwaway_redis, stop_process, wait_for
from models import Staff, database
from models.console import StaffPassword
from models.migrate import upgrade
from service import create_app

BENCH_DATABASE = "km_bench_exports"
PASSWORD = "bench-exports-password"
COORDINATOR = "+6281100000005"
"""The generated coordinator (`bench.digest_data.OTHERS`): may download everything."""
DOWNLOADS = (("people", "csv"), ("people", "json"), ("cases", "csv"), ("digest", "csv"), ("audit", "csv"))


def measure(label: str, app: Flask) -> list[tuple[str, float, float, int, int]]:
    """Sign the coordinator in and download each export once: (what, first byte s, last byte s, bytes, peak)."""
    with app.app_context():
        database.connect(reuse_if_open=True)
        StaffPassword.store(Staff.get(Staff.phone == COORDINATOR), PASSWORD)
        database.close()
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").get_data(as_text=True))
    assert token, "no csrf token on the sign-in page"
    signed = client.post("/console/login", data={"phone": COORDINATOR, "password": PASSWORD, "csrf_token": token[1]})
    assert signed.status_code == 302, signed.status_code
    page = client.get("/console/exports").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no csrf token on the exports page"
    figures = []
    for what, fmt in DOWNLOADS:
        form = {"what": what, "format": fmt, "period": "month", "csrf_token": token[1]}
        first, last, size = _download(client, form)
        tracemalloc.start()  # a second download for the memory: tracing slows Python down
        _download(client, form)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        figures.append((f"{what} {fmt}", first, last, size, peak))
        print(
            f"{label:<11} {what + ' ' + fmt:<12} first byte {first:6.2f} s  last byte {last:6.2f} s  "
            f"{size / 1e6:6.1f} MB  peak Python memory {peak / 1e6:6.1f} MB",
            flush=True,
        )
    return figures


def _download(client, form: dict[str, str]) -> tuple[float, float, int]:
    """POST the exports form and read the answer as a browser would, chunk by chunk: (first byte s, last s, bytes)."""
    start = time.perf_counter()
    response = client.post("/console/exports", data=form, buffered=False)
    if response.status_code != 200:
        raise SystemExit(f"{form['what']} {form['format']}: {response.status_code}")
    chunks = iter(response.response)
    size = len(next(chunks, b""))
    first = time.perf_counter() - start
    for chunk in chunks:
        size += len(chunk)
    response.close()
    return first, time.perf_counter() - start, size


def run(label: str, url: str, load: Loader, settings: dict[str, object], args: argparse.Namespace) -> list:
    """Migrate, fill and measure one database."""
    app = create_app({**settings, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        database.close()
    start = time.perf_counter()
    fill_area(load, args.people, args.cases)
    database.connect(reuse_if_open=True)
    database.execute_sql("ANALYZE")
    database.close()
    print(f"{label}: {args.people:,} people and {args.cases:,} cases loaded in {time.perf_counter() - start:.0f} s")
    figures = measure(label, app)
    close_all = getattr(database.obj, "close_all", None)
    if close_all is not None:
        close_all()  # a pool keeps its connections: the benchmark's database is dropped next
    elif not database.is_closed():
        database.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    """Fill SQLite (and PostgreSQL), download every export from the console, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="km-bench-exports-"))
    port = free_port()
    redis = start_throwaway_redis(folder, port)
    settings: dict[str, object] = {
        "TESTING": False,
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "SECRET_KEY": "bench",
        "SMS_BACKEND": "outbox",
        "INSTANCE_PATH": str(folder),
    }
    results = {}
    try:
        wait_for(lambda: redis.poll() is None and _answers(port), 10, "redis", redis)
        if not args.no_sqlite:
            path = folder / "exports.db"
            results["SQLite"] = run("SQLite", f"sqlite:///{path}", load_sqlite(path), settings, args)
        if not args.no_postgres:
            url = own_postgres(BENCH_DATABASE, drop=False)
            results["PostgreSQL"] = run("PostgreSQL", url, load_postgres(url), settings, args)
            own_postgres(BENCH_DATABASE, drop=True)
    finally:
        stop_process(redis, "redis")
    print(f"\nconsole downloads, {args.people:,} people, {args.cases:,} cases (server time, one download each)")
    print("| database | export | first byte s | last byte s | MB | peak Python MB |")
    for label, figures in results.items():
        for what, first, last, size, peak in figures:
            print(f"| {label} | {what} | {first:.2f} | {last:.2f} | {size / 1e6:.1f} | {peak / 1e6:.1f} |")
    return 0


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
