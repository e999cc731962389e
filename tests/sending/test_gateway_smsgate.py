"""The SMS Gateway for Android gateway against a local fake of the app's API; the factory; the config."""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest

from service.config import ConfigError, load_config
from tests.support.fakes.smsgate import FakeSmsGate
from workers.gateways import (
    ACCEPTED,
    REJECTED,
    RETRYABLE,
    Recipient,
    SendResult,
    SmsGateGateway,
    make_gateway,
    message_id_of,
    message_ref,
)
from workers.gateways.smsgate import DEFAULT_URL, TimeoutSession, classify_failure

PHONE = "+6281234567890"
PHONE_2 = "+6285712345678"
PHONE_HK = "+85291234567"
TEXT = "Laporan Anda sudah diterima. Kode: K7Q4."


def to(*phones: str, first: int = 1) -> list[Recipient]:
    """Recipients with our references km-1, km-2…"""
    return [Recipient(phone, message_ref(number)) for number, phone in enumerate(phones, first)]


@pytest.fixture
def password() -> str:
    return "smsgate-" + uuid.uuid4().hex


@pytest.fixture
def fake(password):
    with FakeSmsGate(username="kawalmigran", password=password) as server:
        yield server


def make_smsgate(fake: FakeSmsGate, timeout: float = 5.0, password: str | None = None) -> SmsGateGateway:
    return SmsGateGateway(url=fake.url, username=fake.username, password=password or fake.password, timeout=timeout)


@pytest.fixture
def gateway(fake) -> SmsGateGateway:
    return make_smsgate(fake)


# Sending ---------------------------------------------------------------------------------------------------


def test_send_passes_our_id_and_the_documented_fields(fake, gateway):
    [result] = gateway.send(TEXT, to(PHONE, first=42))
    assert result == SendResult(PHONE, ACCEPTED, provider_id="km-42", cost=None, error=None)
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/messages")
    assert request.headers["authorization"].startswith("Basic ")
    assert request.json["id"] == "km-42"
    assert request.json["phoneNumbers"] == [PHONE]
    assert request.json["textMessage"] == {"text": TEXT}
    assert request.json["withDeliveryReport"] is True
    [sms] = fake.sent
    assert (sms.id, sms.phone_numbers, sms.text) == ("km-42", [PHONE], TEXT)


def test_one_request_per_message_each_with_its_own_id(fake, gateway):
    results = gateway.send(TEXT, to(PHONE, PHONE_2, PHONE_HK))
    assert [(r.phone, r.outcome, r.provider_id) for r in results] == [
        (PHONE, ACCEPTED, "km-1"),
        (PHONE_2, ACCEPTED, "km-2"),
        (PHONE_HK, ACCEPTED, "km-3"),
    ]
    assert [r.json["id"] for r in fake.requests] == ["km-1", "km-2", "km-3"]
    assert all(len(r.json["phoneNumbers"]) == 1 for r in fake.requests)


def test_nothing_to_send_sends_nothing(fake, gateway):
    assert gateway.send(TEXT, []) == []
    assert fake.requests == []


def test_a_retry_with_the_same_id_does_not_send_twice(fake, gateway):
    [first] = gateway.send(TEXT, to(PHONE, first=7))
    [again] = gateway.send(TEXT, to(PHONE, first=7))
    assert (first.outcome, again.outcome) == (ACCEPTED, ACCEPTED)
    assert again.provider_id == "km-7" and again.error is None
    assert len(fake.sent) == 1, "the app holds one message under that id"
    assert [(r.method, r.path) for r in fake.requests][1:] == [("POST", "/messages"), ("GET", "/messages/km-7")], (
        "the 409 is taken once the app's record of the id shows this message"
    )


def test_a_timeout_after_the_phone_took_it_is_retried_without_a_second_sms(fake):
    gateway = make_smsgate(fake, timeout=0.5)
    fake.fail_next(delay=1.5)  # the phone takes the message, the answer comes too late
    started = time.monotonic()
    [lost] = gateway.send(TEXT, to(PHONE, first=9))
    assert time.monotonic() - started < 1.4, "the client gives up at its timeout"
    assert lost.outcome == RETRYABLE and "timeout" in lost.error
    [retry] = gateway.send(TEXT, to(PHONE, first=9))
    assert (retry.outcome, retry.provider_id) == (ACCEPTED, "km-9")
    assert [m.id for m in fake.sent] == ["km-9"]


@pytest.mark.parametrize(
    "failure,outcome,error",
    [
        (dict(http_status=500), RETRYABLE, "HTTP 500"),
        (dict(http_status=502, body="<html>Bad Gateway</html>"), RETRYABLE, "HTTP 502"),
        (
            dict(http_status=503, body='{"message": "queue limits exceeded; ensure device is online"}'),
            RETRYABLE,
            "phone offline",
        ),
        (dict(http_status=504), RETRYABLE, "HTTP 504"),
        (dict(http_status=429, body='{"message": "too many requests"}'), RETRYABLE, "HTTP 429: too many requests"),
        (dict(http_status=400, body='{"message": "invalid phone number"}'), REJECTED, "HTTP 400: invalid phone number"),
        (dict(http_status=401, body='{"message": "Unauthorized"}'), REJECTED, "HTTP 401: Unauthorized"),
        (dict(http_status=403), REJECTED, "HTTP 403"),
        (dict(http_status=404, body="not here"), REJECTED, "HTTP 404"),
        (dict(http_status=202, body="<html>captive portal</html>"), RETRYABLE, "malformed answer"),
        (dict(http_status=202, body="[]"), RETRYABLE, "malformed answer"),
        (
            dict(http_status=202, body='{"id": "km-1", "state": "Mystery", "recipients": []}'),
            RETRYABLE,
            "malformed answer",
        ),
        (dict(http_status=202, body=""), RETRYABLE, "malformed answer"),
    ],
)
def test_failures_are_sorted_into_retryable_or_rejected(fake, gateway, failure, outcome, error):
    fake.fail_next(**failure)
    [result] = gateway.send(TEXT, to(PHONE))
    assert result.outcome == outcome
    assert error in result.error
    assert result.provider_id is None


def test_device_offline_is_retryable_and_the_next_attempt_goes_through(fake, gateway):
    fake.device_offline()
    [offline] = gateway.send(TEXT, to(PHONE))
    [sent] = gateway.send(TEXT, to(PHONE))
    assert offline.outcome == RETRYABLE and "HTTP 503" in offline.error
    assert sent.outcome == ACCEPTED
    assert len(fake.sent) == 1


def test_a_failure_applies_to_its_own_message_only(fake, gateway):
    fake.fail_next(http_status=500)
    results = gateway.send(TEXT, to(PHONE, PHONE_2))
    assert [r.outcome for r in results] == [RETRYABLE, ACCEPTED]


@pytest.mark.parametrize(
    "state,outcome",
    [
        ("Pending", ACCEPTED),
        ("Processed", ACCEPTED),
        ("Sent", ACCEPTED),
        ("Delivered", ACCEPTED),
        ("Failed", REJECTED),
        ("Cancelled", REJECTED),
    ],
)
def test_recipient_state_in_the_answer(fake, gateway, state, outcome):
    fake.respond_for(PHONE, state=state, error="RESULT_ERROR_NO_SERVICE" if state == "Failed" else None)
    [result] = gateway.send(TEXT, to(PHONE))
    assert result.outcome == outcome
    if state == "Failed":
        assert result.error == "Failed: RESULT_ERROR_NO_SERVICE"
    if outcome == ACCEPTED:
        assert result.provider_id == "km-1"


def test_timeout_is_retryable(fake):
    fake.fail_next(http_status=500, delay=1.5)
    started = time.monotonic()
    [result] = make_smsgate(fake, timeout=0.5).send(TEXT, to(PHONE))
    assert time.monotonic() - started < 1.4
    assert result.outcome == RETRYABLE and "timeout" in result.error


def test_connection_refused_is_retryable():
    with FakeSmsGate() as server:
        gateway = make_smsgate(server)
    [result] = gateway.send(TEXT, to(PHONE))
    assert result.outcome == RETRYABLE
    assert "connection failed" in result.error


@pytest.mark.parametrize("script", [dict(delay=1.5), dict(http_status=503, body='{"message": "queue limits"}')])
def test_once_the_phone_is_unreachable_the_rest_of_the_batch_waits_for_its_retry(fake, script):
    fake.fail_next(**script)
    started = time.monotonic()
    results = make_smsgate(fake, timeout=0.5).send(TEXT, to(PHONE, PHONE_2, PHONE_HK))
    assert time.monotonic() - started < 1.4, "one timeout, not one per message"
    assert [r.outcome for r in results] == [RETRYABLE] * 3
    assert all(r.error.startswith("not tried: ") for r in results[1:])
    assert len(fake.requests) == 1


def test_with_no_connection_every_message_is_retryable_after_one_attempt():
    with FakeSmsGate() as server:
        gateway = make_smsgate(server)
    results = gateway.send(TEXT, to(PHONE, PHONE_2))
    assert [r.outcome for r in results] == [RETRYABLE, RETRYABLE]
    assert results[1].error == "not tried: " + results[0].error


def test_malformed_phone_is_rejected_without_a_request(fake, gateway):
    results = gateway.send(TEXT, to("081234567890", PHONE, "+62 812"))
    assert [r.outcome for r in results] == [REJECTED, ACCEPTED, REJECTED]
    assert results[0].error == "invalid phone number format"
    assert [r.json["phoneNumbers"] for r in fake.requests] == [[PHONE]]


def test_every_request_carries_a_timeout(monkeypatch, fake, gateway):
    seen = []
    original = TimeoutSession.send

    def spy(self, request, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, request, **kwargs)

    monkeypatch.setattr(TimeoutSession, "send", spy)
    gateway.send(TEXT, to(PHONE, PHONE_2))
    assert seen == [5.0, 5.0]
    with pytest.raises(ValueError):
        TimeoutSession(0)


def test_wrong_password_is_rejected_without_echoing_it(fake):
    wrong = "wrong-" + uuid.uuid4().hex
    [result] = make_smsgate(fake, password=wrong).send(TEXT, to(PHONE))
    assert result.outcome == REJECTED and result.error.startswith("HTTP 401")
    assert wrong not in result.error


def test_password_never_logged(fake, gateway, password, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "workers.gateways", "android_sms_gateway"):
        caplog.set_level(logging.DEBUG, logger=name)
    fake.respond_for(PHONE_2, state="Failed", error="RESULT_ERROR_GENERIC_FAILURE")
    results = gateway.send(TEXT, to(PHONE, PHONE_2))
    fake.fail_next(http_status=500, body=json.dumps({"message": f"upstream said {password}"}))
    results += gateway.send(TEXT, to(PHONE, first=5))
    fake.fail_next(delay=1.5)
    results += make_smsgate(fake, timeout=0.5).send(TEXT, to(PHONE, "0812", first=8))
    assert {r.outcome for r in results} == {ACCEPTED, REJECTED, RETRYABLE}
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert password not in logged
    assert all(password not in (r.error or "") for r in results)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("workers.gateways")]
    assert ours and not any(PHONE in m or PHONE_2 in m for m in ours), "phones must be masked"
    assert password not in repr(gateway)


def test_classify_failure_refuses_what_is_not_a_send_failure():
    with pytest.raises(TypeError):
        classify_failure(RuntimeError("bug"))


@pytest.mark.parametrize(
    "ref,message_id", [("km-42", 42), (" km-7 ", 7), ("km-", None), ("ATXid_1", None), ("km-1x", None), ("", None)]
)
def test_our_reference_reads_back_to_the_message_id(ref, message_id):
    assert message_id_of(ref) == message_id
    if message_id is not None:
        assert message_ref(message_id) == ref.strip()


# Factory and configuration ---------------------------------------------------------------------------------

SMSGATE_CONFIG = {
    "SMS_BACKEND": "smsgate",
    "SMSGATE_URL": "http://127.0.0.1:9",
    "SMSGATE_USERNAME": "u",
    "SMSGATE_PASSWORD": "p",
    "SMSGATE_TIMEOUT_SECONDS": 3.0,
}


def test_make_gateway_builds_smsgate(fake):
    gateway = make_gateway(
        {
            **SMSGATE_CONFIG,
            "SMSGATE_URL": fake.url,
            "SMSGATE_USERNAME": fake.username,
            "SMSGATE_PASSWORD": fake.password,
        }
    )
    assert isinstance(gateway, SmsGateGateway) and gateway.name == "smsgate" and gateway.timeout == 3.0
    assert [r.outcome for r in gateway.send(TEXT, to(PHONE))] == [ACCEPTED]


def test_make_gateway_defaults_to_the_cloud_relay():
    gateway = make_gateway({**SMSGATE_CONFIG, "SMSGATE_URL": ""})
    assert gateway.url == DEFAULT_URL == "https://api.sms-gate.app/3rdparty/v1"


@pytest.mark.parametrize(
    "config,missing",
    [
        ({**SMSGATE_CONFIG, "SMSGATE_USERNAME": ""}, "SMSGATE_USERNAME"),
        ({**SMSGATE_CONFIG, "SMSGATE_PASSWORD": ""}, "SMSGATE_PASSWORD"),
        ({k: v for k, v in SMSGATE_CONFIG.items() if k != "SMSGATE_PASSWORD"}, "SMSGATE_PASSWORD"),
    ],
)
def test_make_gateway_names_what_is_missing(config, missing):
    with pytest.raises(ValueError, match=missing):
        make_gateway(config)


def test_config_reads_the_smsgate_settings(tmp_path):
    config = load_config(
        tmp_path,
        env={
            "SMS_BACKEND": "smsgate",
            "SMSGATE_URL": "http://192.168.1.20:8080/",
            "SMSGATE_USERNAME": " sms ",
            "SMSGATE_PASSWORD": "pw",
            "SMSGATE_WEBHOOK_SECRET": "k" * 32,
            "SMSGATE_MAX_PER_MINUTE": "12",
        },
    )
    assert (config["SMS_BACKEND"], config["SMSGATE_URL"], config["SMSGATE_USERNAME"]) == (
        "smsgate",
        "http://192.168.1.20:8080",
        "sms",
    )
    assert (config["SMSGATE_PASSWORD"], config["SMSGATE_WEBHOOK_SECRET"], config["SMSGATE_MAX_PER_MINUTE"]) == (
        "pw",
        "k" * 32,
        12,
    )
    assert config["SIMULATOR_ENABLED"] is False


def test_config_defaults(tmp_path):
    config = load_config(tmp_path, env={})
    assert config["SMSGATE_URL"] == DEFAULT_URL
    assert config["SMSGATE_MAX_PER_MINUTE"] == 20
    assert config["SMSGATE_WEBHOOK_SECRET"] == "" and config["SMSGATE_TIMEOUT_SECONDS"] == 10.0


@pytest.mark.parametrize(
    "env,variable",
    [
        ({"SMSGATE_MAX_PER_MINUTE": "twenty"}, "SMSGATE_MAX_PER_MINUTE"),
        ({"SMSGATE_MAX_PER_MINUTE": "0"}, "SMSGATE_MAX_PER_MINUTE"),
        ({"SMSGATE_MAX_PER_MINUTE": "2.5"}, "SMSGATE_MAX_PER_MINUTE"),
        ({"SMSGATE_URL": "192.168.1.20:8080"}, "SMSGATE_URL"),
        ({"SMSGATE_TIMEOUT_SECONDS": "soon"}, "SMSGATE_TIMEOUT_SECONDS"),
    ],
)
def test_bad_smsgate_values_name_the_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(tmp_path, env=env)
