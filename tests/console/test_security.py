"""Console security: CSRF on every form, rate limits on sign-in and codes, no code or password in any log, and the
headers (no-store, a CSP) on every page, none with inline script or style."""

from __future__ import annotations

import io
import logging
import re

import pytest

from menus.features.console import CODE_PURPOSE
from models import Case, Person, utcnow
from models.case_terms import Report
from service.console.security import CONTENT_SECURITY_POLICY
from tests.support.console import PASSWORD, csrf_token, give_password, sign_in
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR, ORGANIZER

REPORTER = "+6281377788899"
PAGE_LIMIT = 100 * 1024
"""Largest console page (issue 18: pages small for a weak connection)."""


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/console/login", {"phone": ORGANIZER, "password": PASSWORD}),
        ("/console/password", {"phone": ORGANIZER}),
        ("/console/password", {"phone": ORGANIZER, "code": "123456", "password": "sawah-hijau-2026"}),
    ],
    ids=["sign-in", "code request", "code and password"],
)
@pytest.mark.parametrize("token", [None, "", "bukan-token"], ids=["no token", "empty token", "wrong token"])
def test_a_form_without_its_csrf_token_is_refused(client, case_staff, path, data, token):
    give_password(ORGANIZER)
    client.get(path)  # the session has a token; the form does not carry it
    sent = dict(data) if token is None else {**data, "csrf_token": token}
    refused = client.post(path, data=sent)
    assert refused.status_code == 400
    assert "terlalu lama" in refused.get_data(as_text=True)
    assert client.get("/console").status_code == 302, "not signed in"
    assert outbox(ORGANIZER) == [], "no code sent"


def test_signing_out_needs_the_token_too(client, case_staff):
    give_password(ORGANIZER)
    sign_in(client, ORGANIZER)
    assert client.post("/console/logout").status_code == 400
    assert client.get("/console").status_code == 200, "still signed in"


def test_twenty_wrong_passwords_are_rate_limited(client, case_staff):
    give_password(ORGANIZER)
    token = csrf_token(client)
    statuses = [
        client.post(
            "/console/login", data={"phone": ORGANIZER, "password": f"salah-{n:02d}-sandi", "csrf_token": token}
        ).status_code
        for n in range(20)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429] * 10
    right = client.post("/console/login", data={"phone": ORGANIZER, "password": PASSWORD, "csrf_token": token})
    assert right.status_code == 429, "not even the right password while the number is locked"
    assert "Terlalu banyak percobaan" in right.get_data(as_text=True)
    assert client.get("/console").status_code == 302


def test_wrong_passwords_from_one_address_are_rate_limited_across_numbers(client, case_staff):
    give_password(COORDINATOR)
    token = csrf_token(client)
    statuses = [
        client.post(
            "/console/login",
            data={"phone": f"+62812000099{n:02d}", "password": "salah-sandi-ini", "csrf_token": token},
        ).status_code
        for n in range(21)
    ]
    assert statuses == [401] * 20 + [429]
    other = client.post(
        "/console/login",
        data={"phone": COORDINATOR, "password": PASSWORD, "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other.status_code == 302, "another address still signs in"


def test_a_right_password_is_not_counted(client, case_staff):
    give_password(ORGANIZER)
    for _ in range(12):
        assert sign_in(client, ORGANIZER).status_code == 302


def test_code_requests_are_rate_limited_per_number(client, case_staff):
    token = csrf_token(client, "/console/password")
    statuses = [
        client.post("/console/password", data={"phone": ORGANIZER, "csrf_token": token}).status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert len(outbox(ORGANIZER, CODE_PURPOSE)) == 3


@pytest.fixture
def every_log_line():
    """Everything logged at any level while the test runs, formatted as the app's handler formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def test_the_code_and_the_password_never_reach_a_log(client, case_staff, drain, caplog, every_log_line, capfd):
    caplog.set_level(logging.DEBUG)
    # every logger at DEBUG but peewee's query log, which the service never turns on (logs at INFO): it would show
    # the stored SMS texts, which are encrypted (DATA_KEY) anyway
    caplog.set_level(logging.INFO, logger="peewee")
    new_password = "Rahasia-Sawah-9081"
    token = csrf_token(client, "/console/password")
    client.post("/console/password", data={"phone": ORGANIZER, "csrf_token": token})
    drain()
    (sms,) = outbox(ORGANIZER, CODE_PURPOSE)
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    for typed in (wrong_code, code):
        client.post(
            "/console/password",
            data={"phone": ORGANIZER, "code": typed, "password": new_password, "csrf_token": token},
        )
    assert sign_in(client, ORGANIZER, new_password).status_code == 302
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console")})
    assert sign_in(client, ORGANIZER, new_password + "x").status_code == 401

    captured = capfd.readouterr()
    logged = "\n".join([caplog.text, every_log_line.getvalue(), captured.out, captured.err])
    assert "console sign-in" in logged and "console code sent" in logged, "the steps are logged"
    for secret in (code, wrong_code, new_password, new_password + "x"):
        assert secret not in logged


@pytest.fixture
def a_case_and_a_person(case_staff):
    """A case and a registered person, so pages about one can be opened."""
    Person.create(phone="+6281311122233", name="Wati", village="Tracap", status="calon", consent_at=utcnow())
    case, _ = Case.open(
        Report(
            reporter_phone=REPORTER,
            for_whom="self",
            category="wages",
            country="hongkong",
            safe_to_contact=True,
            safe_phone=None,
            story="Gaji saya tidak dibayar tiga bulan.",
            consent_to_refer=True,
            channel="sms",
            source_key="console-headers-1",
        )
    )
    return case


def console_pages(app, case: Case | None, person: Person | None) -> list[str]:
    """Every GET page of the console, its arguments filled from the case and person given."""
    fill = {"code": case.code if case else None, "person_id": person.id if person else None}
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "GET" not in rule.methods:
            continue
        if any(fill.get(name) is None for name in rule.arguments):
            continue
        paths.append(rule.build({name: fill[name] for name in rule.arguments}, append_unknown=False)[1])
    return sorted(set(paths))


def assert_guarded(response, path: str) -> None:
    assert response.headers.get("Cache-Control") == "no-store", path
    assert response.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("Referrer-Policy") == "no-referrer", path
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page, re.IGNORECASE), f"inline script on {path}"
        assert not re.search(r"\son\w+\s*=", page, re.IGNORECASE), f"inline event handler on {path}"
        assert not re.search(r"<style|\sstyle\s*=", page, re.IGNORECASE), f"inline style on {path}"
        assert "http://" not in page and "https://" not in page, f"something from elsewhere on {path}"
        assert len(response.get_data()) <= PAGE_LIMIT, path


def test_every_console_page_carries_no_store_and_the_csp_and_no_inline_code(app, client, a_case_and_a_person):
    person = Person.get(Person.name == "Wati")
    anonymous = [client.get(path) for path in ("/console/login", "/console/password", "/console/password?step=code")]
    for response in anonymous:
        assert response.status_code == 200
        assert_guarded(response, response.request.path)
    assert_guarded(client.get("/console"), "/console (signed out: the redirect)")
    assert_guarded(client.get("/console/nothing-here"), "/console/nothing-here (404)")

    give_password(COORDINATOR)
    sign_in(client, COORDINATOR)
    pages = console_pages(app, a_case_and_a_person, person)
    assert "/console" in pages
    assert f"/console/cases/{a_case_and_a_person.code}" in pages and f"/console/people/{person.id}" in pages
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 302, 404), (path, response.status_code)
        assert_guarded(response, path)
    assert_guarded(client.get("/static/console.css"), "/static/console.css")


def test_the_rate_limit_page_and_the_refusal_page_are_guarded_too(client, case_staff):
    token = csrf_token(client)
    refused = client.post("/console/login", data={"phone": ORGANIZER, "password": "x"})
    assert refused.status_code == 400
    assert_guarded(refused, "CSRF refusal")
    for _ in range(11):
        limited = client.post("/console/login", data={"phone": ORGANIZER, "password": "x", "csrf_token": token})
    assert limited.status_code == 429
    assert_guarded(limited, "429")
