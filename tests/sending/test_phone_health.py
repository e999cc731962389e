"""The phone's health on /healthz and `gateway status`, the outage logged once, and `gateway webhooks`."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from models import utcnow
from workers.gateways.phone_status import OUTAGE_KEY, record_ping, record_send
from workers.sweep import sweep

MINUTES = dt.timedelta(minutes=1)
OURS = ("sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping")


@pytest.fixture
def redis(app):
    return app.extensions["redis"]


def ping(redis, minutes_ago: float) -> None:
    record_ping(redis, utcnow() - minutes_ago * MINUTES, "fakeDevice", "pass")


def test_healthz_has_no_phone_on_other_backends(client, case_staff):
    body = client.get("/healthz").get_json()
    assert "phone" not in body and body["status"] == "ok" and body["degraded"] == []


def test_healthz_shows_the_phones_last_ping_and_send(client, redis, use_smsgate, case_staff):
    ping(redis, 3)
    record_send(redis, utcnow() - 1 * MINUTES)
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["phone"]["state"] == "ok" and body["phone"]["reason"] is None
    assert body["phone"]["last_ping"].endswith("Z") and body["phone"]["last_send"].endswith("Z")
    assert body["phone"]["device_id"] == "fakeDevice"


@pytest.mark.parametrize("minutes_ago, state", [(14, "ok"), (16, "degraded"), (None, "degraded")])
def test_a_phone_silent_for_15_minutes_is_degraded_and_the_service_stays_up(
    client, redis, use_smsgate, minutes_ago, state, case_staff
):
    if minutes_ago is not None:
        ping(redis, minutes_ago)
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200, "a silent phone must not make a load balancer pull the service"
    assert body["phone"]["state"] == state and body["down"] == []
    assert body["status"] == ("ok" if state == "ok" else "degraded")
    if state == "degraded":
        assert body["degraded"] == ["phone"] and "no ping" in body["phone"]["reason"]


def test_the_outage_is_logged_once_and_the_return_once(client, redis, runner, use_smsgate, caplog):
    caplog.set_level(logging.INFO, logger="workers.gateways.phone_status")
    ping(redis, 20)
    client.get("/healthz")
    runner.invoke(args=["gateway", "status"])
    sweep()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "no ping from the phone for 20 minutes" in errors[0].getMessage()
    assert redis.exists(OUTAGE_KEY)
    ping(redis, 0)
    client.get("/healthz")
    sweep()
    back = [r for r in caplog.records if "is back" in r.getMessage()]
    assert len(back) == 1 and back[0].levelno == logging.INFO and not redis.exists(OUTAGE_KEY)


def test_gateway_status_prints_the_same(runner, redis, use_smsgate):
    ping(redis, 2)
    result = runner.invoke(args=["gateway", "status"])
    assert result.exit_code == 0, result.output
    assert "backend: smsgate" in result.output and "phone: ok" in result.output
    assert "last ping: 20" in result.output and "last accepted send: never" in result.output
    redis.delete("smsgate:phone")
    result = runner.invoke(args=["gateway", "status"])
    assert result.exit_code == 1 and "phone: degraded (no ping from the phone recorded" in result.output


def test_gateway_status_on_another_backend(runner):
    result = runner.invoke(args=["gateway", "status"])
    assert result.exit_code == 0 and "backend: outbox" in result.output


def hooks(fake):
    return sorted((h["event"], h["url"]) for h in fake.webhooks)


def test_gateway_webhooks_registers_every_event_once(runner, use_smsgate):
    result = runner.invoke(args=["gateway", "webhooks", "--url", "https://kawal.example.org/"])
    assert result.exit_code == 0, result.output
    url = "https://kawal.example.org/webhooks/smsgate"
    assert hooks(use_smsgate) == sorted((event, url) for event in OURS)
    assert "5 added, 0 already there, 0 stale deleted" in result.output
    again = runner.invoke(args=["gateway", "webhooks", "--url", "https://kawal.example.org"])
    assert again.exit_code == 0 and "0 added, 5 already there, 0 stale deleted" in again.output
    assert len(use_smsgate.webhooks) == 5


def test_gateway_webhooks_replaces_stale_and_duplicate_registrations(runner, use_smsgate):
    use_smsgate.webhooks.extend(
        [
            {"id": "old1", "url": "https://old.example.org/webhooks/smsgate", "event": "sms:received"},
            {"id": "dup1", "url": "https://kawal.example.org/webhooks/smsgate", "event": "sms:sent"},
            {"id": "dup2", "url": "https://kawal.example.org/webhooks/smsgate", "event": "sms:sent"},
            {"id": "other", "url": "https://elsewhere.example.org/hook", "event": "sms:data-received"},
        ]
    )
    result = runner.invoke(args=["gateway", "webhooks", "--url", "https://kawal.example.org"])
    assert result.exit_code == 0, result.output
    assert "deleted sms:received -> https://old.example.org/webhooks/smsgate (old1)" in result.output
    assert "(dup2)" in result.output and "4 added, 1 already there, 2 stale deleted" in result.output
    url = "https://kawal.example.org/webhooks/smsgate"
    assert hooks(use_smsgate) == sorted(
        [*((event, url) for event in OURS), ("sms:data-received", "https://elsewhere.example.org/hook")]
    )


def test_gateway_webhooks_says_when_the_app_refuses(runner, use_smsgate, app):
    app.config["SMSGATE_PASSWORD"] = "wrong-password"
    result = runner.invoke(args=["gateway", "webhooks", "--url", "https://kawal.example.org"])
    assert result.exit_code != 0 and "HTTP 401" in result.output and "wrong-password" not in result.output
