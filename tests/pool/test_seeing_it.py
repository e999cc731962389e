"""`/healthz` and `gateway status` per phone of the pool: in rotation or out and why, last ping, SMS today and what
the daily limit leaves, the queue."""

from __future__ import annotations

import re

from flask import g

from models import Staff
from tests.pool.conftest import INDOSAT, XL, numbers, queue_texts
from tests.support.console import give_password, sign_in
from tests.support.staff import ORGANIZER


def test_healthz_shows_each_phone(app, client, pool, drain, clock, case_staff):
    pool.change("a", daily_limit=4)
    pool.change("b", max_per_minute=20)
    for name in "ab":
        pool.ping(name)
    queue_texts(numbers(INDOSAT, 3) + numbers(XL, 5))
    drain()
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and "phone" not in body
    a, b, c = (body["phones"][name] for name in "abc")
    assert (a["state"], a["sent_today"], a["daily_limit"], a["limit_left"], a["queue"]) == ("ok", 3, 4, 1, 0)
    assert a["last_ping"] == "2026-11-30T03:00:00Z", "Monday 10:00 in Jakarta"
    assert (b["sent_today"], b["limit_left"], b["queue"], b["max_per_minute"]) == (1, None, 4, 20)
    assert c["last_ping"] is None and c["state"] == "ok", "a phone that never pinged is not taken out"
    assert body["status"] == "ok" and body["degraded"] == []

    queue_texts(numbers(INDOSAT, 1, first=50))
    drain()
    body = client.get("/healthz").get_json()
    assert body["phones"]["a"]["state"] == "out" and body["phones"]["a"]["limit_left"] == 0
    assert "daily limit" in body["phones"]["a"]["reason"]
    assert body["status"] == "degraded" and body["degraded"] == ["phones"]


def test_gateway_status_prints_each_phone(app, runner, pool, drain, clock):
    pool.change("a", daily_limit=4)
    pool.ping("a")
    queue_texts(numbers(INDOSAT, 2))
    drain()
    result = runner.invoke(args=["gateway", "status"])
    assert result.exit_code == 0, result.output
    assert "pool: 3 phones, 3 in rotation" in result.output
    assert "phone a: in rotation" in result.output and "phone c: in rotation" in result.output
    assert "last ping: 2026-11-30T03:00:00Z (device poolDeviceA0000000000, app says pass)" in result.output
    assert "sent today: 2 of 4 (2 left)" in result.output and "sent today: 0 (no daily limit)" in result.output
    assert "queue: 0 waiting; limit 120000 sends a minute" in result.output

    queue_texts(numbers(INDOSAT, 2, first=50))
    drain()
    result = runner.invoke(args=["gateway", "status"])
    assert result.exit_code == 1 and "phone a: OUT (its daily limit is reached; back tomorrow)" in result.output


def test_doctor_checks_every_phone(app, pool, redis_connection, clock):
    from service.doctor import check_backend, check_phone

    pool.change("b", password="")
    pool.ping("a")
    backend = [(f.level, f.text) for f in check_backend(app.config)]
    assert ("ok", f"SMS_BACKEND=smsgate: phone a at {pool.fakes['a'].url}") in backend
    assert ("problem", "phone b without SMSGATE_B_USERNAME or SMSGATE_B_PASSWORD: it refuses sends") in backend
    phones = [(f.level, f.text) for f in check_phone(app.config, redis_connection)]
    assert phones == [
        ("ok", "phone a pinged in the last 15 minutes"),
        ("problem", "phone b has never pinged: turn pings on in its app"),
        ("problem", "phone c has never pinged: turn pings on in its app"),
    ]


def test_the_consoles_today_page_shows_each_phone_to_organisers(app, client, pool, drain, clock, case_staff):
    pool.change("a", daily_limit=3)
    pool.ping("a")
    queue_texts(numbers(INDOSAT, 3))
    drain()
    give_password(ORGANIZER)
    assert sign_in(client, ORGANIZER).status_code == 302
    page = client.get("/console").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-phone="(\w+)" data-state="(\w+)">', page))
    assert rows == {"a": "out", "b": "ok", "c": "ok"}, "phone a used its daily limit: out of rotation"
    row_a = page.split('data-phone="a"')[1].split("</tr>")[0]
    assert "2026-11-30 10:00" in row_a, "last heard, local time"
    assert "<td>3</td><td>0</td>" in row_a, "3 SMS today, none of its limit left"
    assert "Tidak dipakai" in row_a and "daily limit" in row_a

    Staff.create(phone="+6281200000021", name="Pak Kades", role="official", village="Tracap")
    give_password("+6281200000021")
    head = app.test_client()
    g.pop("csrf_token", None)  # the first client's token, kept on the test's app context
    assert sign_in(head, "+6281200000021").status_code == 302
    assert 'data-phone="' not in head.get("/console").get_data(as_text=True), "a village head has no phones box"
