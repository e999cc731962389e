"""The Africa's Talking gateway against a local fake of AT's send API; the outbox gateway; the factory."""

from __future__ import annotations

import logging
import re
import time
import uuid

import pytest

from tests.support.fakes.africastalking import FakeAfricasTalking
from workers.gateways import (
    ACCEPTED,
    REJECTED,
    RETRYABLE,
    AfricasTalkingGateway,
    OutboxGateway,
    Recipient,
    SendResult,
    make_gateway,
)

PHONE = "+6281234567890"
PHONE_2 = "+6285712345678"
PHONE_HK = "+85291234567"
SENDER_ID = "KBMI"
TEXT = "Laporan Anda sudah diterima. Kode: K7Q4."


def to(*phones: str) -> list[Recipient]:
    """Recipients with references of their own (AT does not send them)."""
    return [Recipient(phone, f"km-{number}") for number, phone in enumerate(phones, 1)]


@pytest.fixture
def api_key() -> str:
    return "atsk_" + uuid.uuid4().hex


@pytest.fixture
def fake(api_key):
    with FakeAfricasTalking(username="kawalmigran", api_key=api_key) as server:
        yield server


def make_at(
    fake: FakeAfricasTalking, timeout: float = 5.0, sender_id: str | None = SENDER_ID, api_key: str | None = None
) -> AfricasTalkingGateway:
    return AfricasTalkingGateway(
        username=fake.username, api_key=api_key or fake.api_key, sender_id=sender_id, api_url=fake.url, timeout=timeout
    )


@pytest.fixture
def gateway(fake) -> AfricasTalkingGateway:
    return make_at(fake)


@pytest.mark.parametrize("code,status", [(100, "Processed"), (101, "Success"), (102, "Queued")])
def test_accepted_codes_give_provider_id_and_cost(fake, gateway, code, status):
    fake.respond_for(PHONE, status_code=code, status=status, cost="IDR 250.0000", message_id="ATXid_abc123")
    [result] = gateway.send(TEXT, to(PHONE))
    assert result == SendResult(PHONE, ACCEPTED, provider_id="ATXid_abc123", cost="IDR 250.0000", error=None)


def test_default_answer_is_accepted(gateway):
    [result] = gateway.send(TEXT, to(PHONE))
    assert result.outcome == ACCEPTED
    assert re.fullmatch(r"ATXid_[0-9a-f]{32}", result.provider_id)
    assert result.cost == "IDR 250.0000"


@pytest.mark.parametrize(
    "code,status",
    [
        (401, "RiskHold"),
        (402, "InvalidSenderId"),
        (403, "InvalidPhoneNumber"),
        (404, "UnsupportedNumberType"),
        (405, "InsufficientBalance"),
        (406, "UserInBlacklist"),
        (407, "CouldNotRoute"),
        (409, "DoNotDisturbRejection"),
    ],
)
def test_rejection_codes_are_rejected_with_reason(fake, gateway, code, status):
    fake.respond_for(PHONE, status_code=code, status=status)
    [result] = gateway.send(TEXT, to(PHONE))
    assert (result.outcome, result.error, result.provider_id) == (REJECTED, f"{code} {status}", None)


@pytest.mark.parametrize(
    "code,status", [(500, "InternalServerError"), (501, "GatewayError"), (502, "RejectedByGateway")]
)
def test_gateway_error_codes_are_retryable(fake, gateway, code, status):
    fake.respond_for(PHONE, status_code=code, status=status)
    [result] = gateway.send(TEXT, to(PHONE))
    assert (result.outcome, result.error) == (RETRYABLE, f"{code} {status}")


def test_unknown_recipient_code_is_retryable(fake, gateway):
    fake.respond_for(PHONE, status_code=999, status="Mystery")
    [result] = gateway.send(TEXT, to(PHONE))
    assert (result.outcome, result.error) == (RETRYABLE, "999 Mystery")


@pytest.mark.parametrize(
    "failure,outcome,error",
    [
        (dict(http_status=500), RETRYABLE, "HTTP 500"),
        (dict(http_status=502, body="<html>Bad Gateway</html>", content_type="text/html"), RETRYABLE, "HTTP 502"),
        (dict(http_status=503), RETRYABLE, "HTTP 503"),
        (dict(http_status=429, body="Too many requests"), RETRYABLE, "HTTP 429: Too many requests"),
        (
            dict(http_status=400, body="Request is missing required form field 'to'"),
            REJECTED,
            "HTTP 400: Request is missing required form field 'to'",
        ),
        (dict(http_status=403, body="Forbidden"), REJECTED, "HTTP 403: Forbidden"),
        (dict(http_status=200, body="<html>maintenance</html>", content_type="text/html"), RETRYABLE, "not JSON"),
        (dict(http_status=201, body="{not json", content_type="application/json"), RETRYABLE, "not JSON"),
        (
            dict(
                http_status=201,
                body='{"SMSMessageData": {"Message": "InvalidSenderId"}}',
                content_type="application/json",
            ),
            RETRYABLE,
            "no SMSMessageData.Recipients",
        ),
        (dict(http_status=201, body='{"error": "x"}', content_type="application/json"), RETRYABLE, "no SMSMessageData"),
        (dict(http_status=201, body="[]", content_type="application/json"), RETRYABLE, "not an object"),
    ],
)
def test_whole_request_failures_apply_to_every_phone(fake, gateway, failure, outcome, error):
    fake.fail_next(**failure)
    results = gateway.send(TEXT, to(PHONE, PHONE_2))
    assert [r.phone for r in results] == [PHONE, PHONE_2]
    for result in results:
        assert result.outcome == outcome
        assert error in result.error
        assert result.provider_id is None


def test_error_body_is_truncated(fake, gateway):
    fake.fail_next(http_status=400, body="x" * 5000)
    [result] = gateway.send(TEXT, to(PHONE))
    assert result.outcome == REJECTED
    assert result.error == "HTTP 400: " + "x" * 200


def test_json_under_another_content_type_is_parsed(fake, gateway):
    body = (
        '{"SMSMessageData": {"Message": "Sent to 1/1", "Recipients": [{"statusCode": 101, '
        f'"number": "{PHONE}", "status": "Success", "cost": "IDR 250.0000", "messageId": "ATXid_1"}}]}}}}'
    )
    fake.fail_next(http_status=201, body=body, content_type="application/json; charset=utf-8")
    [result] = gateway.send(TEXT, to(PHONE))
    assert (result.outcome, result.provider_id) == (ACCEPTED, "ATXid_1")


def test_timeout_is_retryable(fake):
    gateway = make_at(fake, timeout=0.5)
    fake.fail_next(delay=1.5)
    started = time.monotonic()
    [result] = gateway.send(TEXT, to(PHONE))
    assert time.monotonic() - started < 1.4
    assert result.outcome == RETRYABLE
    assert "timeout" in result.error


def test_connection_refused_is_retryable():
    with FakeAfricasTalking() as server:
        gateway = make_at(server)
    [result] = gateway.send(TEXT, to(PHONE))
    assert result.outcome == RETRYABLE
    assert "connection" in result.error


def test_wrong_api_key_is_rejected_without_echoing_the_key(fake):
    wrong_key = "atsk_wrong_" + uuid.uuid4().hex
    [result] = make_at(fake, api_key=wrong_key).send(TEXT, to(PHONE))
    assert result.outcome == REJECTED
    assert result.error.startswith("HTTP 401")
    assert wrong_key not in result.error


def test_request_carries_the_documented_fields(fake, gateway):
    gateway.send(TEXT, to(PHONE, PHONE_HK))
    [request] = fake.requests
    assert request.path == "/version1/messaging"
    assert request.headers["apikey"] == fake.api_key
    assert request.form == {
        "username": "kawalmigran",
        "to": f"{PHONE},{PHONE_HK}",
        "message": TEXT,
        "from": SENDER_ID,
        "bulkSMSMode": "1",
    }


def test_no_sender_id_sends_no_from(fake):
    make_at(fake, sender_id=None).send(TEXT, to(PHONE))
    assert "from" not in fake.requests[0].form


def test_many_recipients_one_request_one_result_each(fake, gateway):
    fake.respond_for(PHONE_2, status_code=406, status="UserInBlacklist")
    fake.respond_for(PHONE_HK, status_code=502, status="RejectedByGateway")
    results = gateway.send(TEXT, to(PHONE, PHONE_2, PHONE_HK))
    assert len(fake.requests) == 1
    assert [(r.phone, r.outcome, r.error) for r in results] == [
        (PHONE, ACCEPTED, None),
        (PHONE_2, REJECTED, "406 UserInBlacklist"),
        (PHONE_HK, RETRYABLE, "502 RejectedByGateway"),
    ]


def test_phone_missing_from_answer_is_retryable(fake, gateway):
    fake.respond_for(PHONE_2, omit=True)
    results = gateway.send(TEXT, to(PHONE, PHONE_2))
    assert [(r.outcome, r.error) for r in results] == [(ACCEPTED, None), (RETRYABLE, "no recipient entry")]


def test_malformed_phone_is_rejected_and_the_rest_sent(fake, gateway):
    results = gateway.send(TEXT, to("081234567890", PHONE, "+62 812"))
    assert [r.outcome for r in results] == [REJECTED, ACCEPTED, REJECTED]
    assert results[0].error == "invalid phone number format"
    assert fake.requests[0].form["to"] == PHONE


def test_only_malformed_phones_send_nothing(fake, gateway):
    assert [r.outcome for r in gateway.send(TEXT, to("0812"))] == [REJECTED]
    assert gateway.send(TEXT, to()) == []
    assert fake.requests == []


def test_duplicate_phone_gets_a_result_per_occurrence(fake, gateway):
    results = gateway.send(TEXT, to(PHONE, PHONE))
    assert [r.outcome for r in results] == [ACCEPTED, ACCEPTED]
    assert fake.requests[0].form["to"] == PHONE


def test_api_key_never_logged(fake, gateway, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "requests", "workers.gateways"):
        caplog.set_level(logging.DEBUG, logger=name)
    wrong_key = "atsk_wrong_" + uuid.uuid4().hex
    fake.respond_for(PHONE_2, status_code=403, status="InvalidPhoneNumber")
    results = gateway.send(TEXT, to(PHONE, PHONE_2))
    results += make_at(fake, api_key=wrong_key).send(TEXT, to(PHONE))
    fake.fail_next(http_status=500, body=f"upstream said {api_key}")
    results += gateway.send(TEXT, to(PHONE))
    fake.fail_next(http_status=200, body="<html/>", content_type="text/html")
    results += gateway.send(TEXT, to(PHONE))
    fake.fail_next(delay=1.5)
    results += make_at(fake, timeout=0.5).send(TEXT, to(PHONE, "0812"))
    assert {r.outcome for r in results} == {ACCEPTED, REJECTED, RETRYABLE}
    assert any(r.name.startswith("urllib3") for r in caplog.records), "urllib3 was not captured"
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in (api_key, wrong_key):
        assert secret not in logged
        assert all(secret not in (r.error or "") for r in results)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("workers.gateways")]
    assert ours and not any(PHONE in m or PHONE_2 in m for m in ours), "phones must be masked"
    assert api_key not in repr(gateway)


def test_outbox_accepts_everything():
    gateway = OutboxGateway()
    results = gateway.send(TEXT, to(PHONE, PHONE_HK))
    assert gateway.name == "outbox"
    assert [(r.phone, r.outcome, r.cost, r.error) for r in results] == [
        (PHONE, ACCEPTED, None, None),
        (PHONE_HK, ACCEPTED, None, None),
    ]
    assert all(re.fullmatch(r"outbox-[0-9a-f]{32}", r.provider_id) for r in results)
    assert results[0].provider_id != results[1].provider_id


AT_CONFIG = {
    "SMS_BACKEND": "africastalking",
    "AT_USERNAME": "kawalmigran",
    "AT_API_KEY": "k",
    "AT_SENDER_ID": "",
    "AT_API_URL": "http://127.0.0.1:9",
    "AT_TIMEOUT_SECONDS": 3.0,
}


@pytest.mark.parametrize(
    "config,kind",
    [
        ({"SMS_BACKEND": "outbox"}, OutboxGateway),
        ({}, OutboxGateway),
        (AT_CONFIG, AfricasTalkingGateway),
    ],
)
def test_make_gateway_chooses_backend(config, kind):
    assert isinstance(make_gateway(config), kind)


@pytest.mark.parametrize(
    "config,missing",
    [
        ({**AT_CONFIG, "AT_API_KEY": ""}, "AT_API_KEY"),
        ({k: v for k, v in AT_CONFIG.items() if k != "AT_API_KEY"}, "AT_API_KEY"),
        ({**AT_CONFIG, "AT_USERNAME": ""}, "AT_USERNAME"),
        ({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND"),
    ],
)
def test_make_gateway_names_what_is_wrong(config, missing):
    with pytest.raises(ValueError, match=missing):
        make_gateway(config)


def test_make_gateway_honours_api_url_and_sender_id(fake):
    config = {
        **AT_CONFIG,
        "AT_USERNAME": fake.username,
        "AT_API_KEY": fake.api_key,
        "AT_SENDER_ID": SENDER_ID,
        "AT_API_URL": fake.url,
    }
    gateway = make_gateway(config)
    assert gateway.name == "africastalking"
    assert [r.outcome for r in gateway.send(TEXT, to(PHONE))] == [ACCEPTED]
    assert fake.requests[0].form["from"] == SENDER_ID


def test_fake_reset_forgets_script(fake, gateway):
    fake.respond_for(PHONE, status_code=403, status="InvalidPhoneNumber")
    fake.fail_next(http_status=500)
    gateway.send(TEXT, to(PHONE))
    fake.reset()
    assert fake.requests == []
    assert [r.outcome for r in gateway.send(TEXT, to(PHONE))] == [ACCEPTED]
