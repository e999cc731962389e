"""Console sign-in: a password set by an SMS code, the code's rules, sessions that end when idle or when the staff
member is removed, and `staff set-password` for the first coordinator."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from menus.features.console import CODE_PURPOSE
from models import Staff
from models.console import CODE_TRIES, ResetCode, StaffPassword
from tests.support.clock import MONDAY_MORNING
from tests.support.console import PASSWORD, csrf_token, give_password, sign_in
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR, ORGANIZER

NEW_PASSWORD = "sawah-hijau-2026"
UNKNOWN = "+6281299999999"
_CODE = re.compile(r"\b(\d{6})\b")


def ask_code(client, phone: str):
    """Post the number on the password page (step one)."""
    return client.post(
        "/console/password", data={"phone": phone, "csrf_token": csrf_token(client, "/console/password")}
    )


def send_code(client, phone: str, code: str, password: str = NEW_PASSWORD):
    """Post the code and the new password (step two)."""
    return client.post(
        "/console/password",
        data={
            "phone": phone,
            "code": code,
            "password": password,
            "csrf_token": csrf_token(client, "/console/password?step=code"),
        },
    )


def code_sent_to(phone: str) -> str:
    """The code in the latest code SMS to `phone`, as the staff member reads it."""
    messages = outbox(phone, CODE_PURPOSE)
    assert messages, f"no code SMS to {phone}"
    found = _CODE.search(messages[-1].text)
    assert found, messages[-1].text
    return found.group(1)


def test_a_password_set_by_the_sms_code_signs_in(client, case_staff, drain):
    asked = ask_code(client, "0" + ORGANIZER[3:])  # typed as people write it: 0812…
    assert asked.status_code == 200
    assert 'name="code"' in asked.get_data(as_text=True)
    drain()
    (sms,) = outbox(ORGANIZER, CODE_PURPOSE)
    assert sms.status in ("sent", "delivered")
    code = code_sent_to(ORGANIZER)

    done = send_code(client, ORGANIZER, code)
    assert done.status_code == 302 and done.headers["Location"].endswith("/console/login")
    assert "Kata sandi sudah disimpan" in client.get("/console/login").get_data(as_text=True)
    assert sign_in(client, ORGANIZER, NEW_PASSWORD).status_code == 302
    today = client.get("/console")
    assert today.status_code == 200
    assert "Siti Pengurus" in today.get_data(as_text=True)
    assert send_code(client, ORGANIZER, code, "lain-lagi-sandi").status_code == 401, "a code works once"


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, case_staff):
    known, unknown = ask_code(client, COORDINATOR), ask_code(client, UNKNOWN)
    assert known.status_code == unknown.status_code == 200

    def shown(response) -> str:
        page = response.get_data(as_text=True)
        return re.sub(r'(name="(csrf_token|phone)" [^>]*value=)"[^"]*"', r"\1", page)

    assert shown(known) == shown(unknown)
    assert outbox(UNKNOWN) == []
    refused = send_code(client, UNKNOWN, "123456")
    assert refused.status_code == 401 and "Kode salah" in refused.get_data(as_text=True)
    assert not StaffPassword.select().exists()


def test_a_removed_staff_member_gets_no_code(client, case_staff):
    Staff.update(active=False).where(Staff.phone == ORGANIZER).execute()
    assert ask_code(client, ORGANIZER).status_code == 200
    assert outbox(ORGANIZER) == [] and not ResetCode.select().exists()


def test_a_code_survives_five_wrong_tries_then_a_new_one_is_needed(client, case_staff):
    ask_code(client, ORGANIZER)
    code = code_sent_to(ORGANIZER)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(CODE_TRIES):
        assert send_code(client, ORGANIZER, wrong).status_code == 401
    assert send_code(client, ORGANIZER, code).status_code == 401, "the right code after five wrong ones"
    ask_code(client, ORGANIZER)
    fresh = code_sent_to(ORGANIZER)
    if fresh != code:
        assert send_code(client, ORGANIZER, code).status_code == 401, "an earlier code stops working"
    assert send_code(client, ORGANIZER, fresh).status_code == 302


def test_a_code_is_valid_ten_minutes(client, case_staff):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        ask_code(client, ORGANIZER)
        code = code_sent_to(ORGANIZER)
        traveller.shift(dt.timedelta(minutes=10, seconds=1))
        assert send_code(client, ORGANIZER, code).status_code == 401
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        ask_code(client, COORDINATOR)
        code = code_sent_to(COORDINATOR)
        traveller.shift(dt.timedelta(minutes=9, seconds=50))
        assert send_code(client, COORDINATOR, code).status_code == 302


@pytest.mark.parametrize("password", ["", "pendek", "123456789"])
def test_a_short_password_is_refused_without_using_a_try(client, case_staff, password):
    ask_code(client, ORGANIZER)
    code = code_sent_to(ORGANIZER)
    refused = send_code(client, ORGANIZER, code, password)
    assert refused.status_code == 400 and "paling sedikit 10" in refused.get_data(as_text=True)
    assert ResetCode.get().tries == 0
    assert send_code(client, ORGANIZER, code).status_code == 302


@pytest.mark.parametrize(
    ("phone", "password"),
    [(ORGANIZER, "salah-sandi-ini"), (UNKNOWN, PASSWORD), (COORDINATOR, PASSWORD), ("bukan nomor", PASSWORD)],
    ids=["wrong password", "unknown number", "no password yet", "not a number"],
)
def test_a_refused_sign_in_says_the_same_whatever_was_wrong(client, case_staff, phone, password):
    give_password(ORGANIZER)
    refused = sign_in(client, phone, password)
    assert refused.status_code == 401
    assert "Nomor HP atau kata sandi salah." in refused.get_data(as_text=True)
    assert client.get("/console").status_code == 302


def test_the_console_asks_to_sign_in_and_returns_to_the_page_asked_for(client, case_staff):
    give_password(ORGANIZER)
    asked = client.get("/console")
    assert asked.status_code == 302 and "/console/login?next=" in asked.headers["Location"]
    back = client.post(
        "/console/login",
        data={"phone": ORGANIZER, "password": PASSWORD, "next": "/console?x=1", "csrf_token": csrf_token(client)},
    )
    assert back.headers["Location"] == "/console?x=1"


@pytest.mark.parametrize("target", ["https://example.org/", "//example.org/console", "/simulator", "javascript:x"])
def test_sign_in_never_sends_elsewhere(client, case_staff, target):
    give_password(ORGANIZER)
    response = client.post(
        "/console/login",
        data={"phone": ORGANIZER, "password": PASSWORD, "next": target, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/console"


def test_signing_out_ends_the_session(client, case_staff):
    give_password(ORGANIZER)
    sign_in(client, ORGANIZER)
    assert client.get("/console").status_code == 200
    out = client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console")})
    assert out.status_code == 302
    assert client.get("/console").status_code == 302


def test_a_session_ends_after_the_idle_minutes(app, client, case_staff):
    app.config["CONSOLE_IDLE_MINUTES"] = 60
    give_password(ORGANIZER)
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        sign_in(client, ORGANIZER)
        traveller.shift(dt.timedelta(minutes=59))
        assert client.get("/console").status_code == 200, "59 minutes idle: still signed in"
        traveller.shift(dt.timedelta(minutes=59))
        assert client.get("/console").status_code == 200, "each request starts the idle time again"
        traveller.shift(dt.timedelta(minutes=60, seconds=1))
        ended = client.get("/console")
        assert ended.status_code == 302 and "/console/login" in ended.headers["Location"]
        traveller.shift(dt.timedelta(minutes=1))
        assert client.get("/console").status_code == 302, "the session stays ended"


def test_a_removed_staff_members_session_ends_at_once(client, runner, case_staff):
    give_password(ORGANIZER)
    sign_in(client, ORGANIZER)
    assert client.get("/console").status_code == 200
    Staff.update(active=False).where(Staff.phone == ORGANIZER).execute()
    assert client.get("/console").status_code == 302
    Staff.update(active=True).where(Staff.phone == ORGANIZER).execute()
    assert client.get("/console").status_code == 302, "taken back on: signs in again"


def test_the_session_cookie_is_httponly_lax_and_secure_off_loopback(app, case_staff):
    give_password(ORGANIZER)
    for base, secure in (
        ("http://localhost", False),
        ("http://127.0.0.1:5000", False),
        ("https://kawal.example", True),
    ):
        client = app.test_client()
        token_page = client.get("/console/login", base_url=base)
        token = re.search(r'name="csrf_token" value="([^"]+)"', token_page.get_data(as_text=True)).group(1)
        response = client.post(
            "/console/login", base_url=base, data={"phone": ORGANIZER, "password": PASSWORD, "csrf_token": token}
        )
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure, (base, cookie)


def test_english_is_one_click_away_and_kept(client):
    assert "Masuk" in client.get("/console/login").get_data(as_text=True)
    assert "Sign in" in client.get("/console/login?lang=en").get_data(as_text=True)
    assert "Set a password" in client.get("/console/password").get_data(as_text=True), "kept in the session"
    assert "Masuk" in client.get("/console/login?lang=id").get_data(as_text=True)


def test_set_password_command_prints_a_code_that_sets_the_first_password(client, runner, case_staff):
    result = runner.invoke(args=["staff", "set-password", "--phone", "0" + COORDINATOR[3:]])
    assert result.exit_code == 0, result.output
    code = _CODE.search(result.output).group(1)
    assert outbox(COORDINATOR) == [], "printed, not sent"
    assert send_code(client, COORDINATOR, code).status_code == 302
    assert sign_in(client, COORDINATOR, NEW_PASSWORD).status_code == 302


def test_set_password_command_refuses_a_number_that_is_not_staff(runner, case_staff):
    result = runner.invoke(args=["staff", "set-password", "--phone", UNKNOWN])
    assert result.exit_code != 0 and "not an active staff number" in result.output
