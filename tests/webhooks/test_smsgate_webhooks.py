"""SMS Gateway for Android's events over HTTP: signatures, every event type, replays, unknown and malformed events."""

from __future__ import annotations

import json
import threading
import time

import peewee
import pytest
import requests
from werkzeug.serving import make_server

from models import Message, Person, utcnow
from tests.support.fakes.smsgate import DEVICE_ID
from tests.support.outbox import outbox
from tests.support.settings import TOKEN
from workers.gateways import ACCEPTED, SendResult
from workers.gateways.phone_status import last_ping
from workers.sms_jobs import record_result

URL = "/webhooks/smsgate"
PHONE = "+6281234567201"
USED = ("sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping")


def post(client, body: bytes, headers: dict[str, str]):
    return client.post(URL, data=body, headers=headers)


def event(client, fake, kind: str, payload: dict, event_id: str | None = None, timestamp: int | None = None):
    """Post one event signed like the app."""
    return post(client, *fake.event(kind, payload, event_id, timestamp))


def inbound() -> list[Message]:
    return list(Message.select().where(Message.direction == "in").order_by(Message.id))


def owed_reply(client, fake, phone: str = PHONE) -> Message:
    """An incoming BANTUAN leaves one reply queued; return it."""
    assert event(client, fake, "sms:received", fake.received_payload(phone, "BANTUAN")).status_code == 200
    [reply] = outbox(phone)
    return reply


def sent_reply(client, fake, drain) -> Message:
    """A reply the fake app accepted (status sent, provider id = our reference)."""
    reply = owed_reply(client, fake)
    assert drain()
    reply = Message.get_by_id(reply.id)
    assert (reply.status, reply.provider_id) == ("sent", f"km-{reply.id}")
    return reply


def payload_for(fake, kind: str, message_id: str = "km-1") -> dict:
    if kind == "sms:received":
        return fake.received_payload(PHONE, "BANTUAN")
    if kind == "system:ping":
        return fake.ping_payload()
    return fake.status_payload(
        kind, message_id, PHONE, reason="RESULT_ERROR_NO_SERVICE" if kind == "sms:failed" else None
    )


def nothing_happened(app) -> bool:
    return Message.select().count() == 0 and last_ping(app.extensions["redis"]) is None


# Signatures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", USED)
def test_a_good_signature_is_accepted(app, client, use_smsgate, kind):
    response = event(client, use_smsgate, kind, payload_for(use_smsgate, kind))
    assert response.status_code == 200, response.get_json()


def _missing_signature(fake, body):
    return {k: v for k, v in fake.sign(body).items() if k != "X-Signature"}


def _missing_timestamp(fake, body):
    return {k: v for k, v in fake.sign(body).items() if k != "X-Timestamp"}


def _wrong_key(fake, body):
    return fake.sign(body, secret="not-the-signing-key")


def _stale(fake, body):
    return fake.sign(body, timestamp=int(time.time()) - 301)


def _from_the_future(fake, body):
    return fake.sign(body, timestamp=int(time.time()) + 301)


def _other_timestamp(fake, body):
    headers = fake.sign(body)
    return {**headers, "X-Timestamp": str(int(headers["X-Timestamp"]) - 1)}


def _tampered_body(fake, body):
    return fake.sign(body.replace(b"BANTUAN", b"LAPOR").replace(b"km-1", b"km-2") + b" ")


def _not_hex(fake, body):
    return {**fake.sign(body), "X-Signature": "zz" * 32}


def _timestamp_in_ms(fake, body):
    return fake.sign(body, timestamp=int(time.time() * 1000))


BAD_SIGNATURES = [
    _missing_signature,
    _missing_timestamp,
    _wrong_key,
    _stale,
    _from_the_future,
    _other_timestamp,
    _tampered_body,
    _not_hex,
    _timestamp_in_ms,
]


@pytest.mark.parametrize("kind", USED)
@pytest.mark.parametrize("forge", BAD_SIGNATURES, ids=lambda f: f.__name__.strip("_"))
def test_a_missing_wrong_or_stale_signature_is_401_and_does_nothing(app, client, use_smsgate, kind, forge):
    body, _ = use_smsgate.event(kind, payload_for(use_smsgate, kind))
    response = post(client, body, forge(use_smsgate, body))
    assert response.status_code == 401
    assert nothing_happened(app)


def test_the_signature_is_checked_before_anything_else(app, client, use_smsgate):
    assert post(client, b"not json at all", {"Content-Type": "application/json"}).status_code == 401
    assert post(client, b"not json at all", use_smsgate.sign(b"not json at all")).status_code == 400


def test_an_uppercase_hex_signature_is_accepted(app, client, use_smsgate):
    body, headers = use_smsgate.event("system:ping", use_smsgate.ping_payload())
    assert post(client, body, {**headers, "X-Signature": headers["X-Signature"].upper()}).status_code == 200


def test_a_timestamp_within_five_minutes_is_accepted(app, client, use_smsgate):
    for offset in (-299, 299):
        body, _ = use_smsgate.event("system:ping", use_smsgate.ping_payload())
        assert post(client, body, use_smsgate.sign(body, timestamp=int(time.time()) + offset)).status_code == 200


def test_without_a_configured_secret_every_event_is_refused(app, client, use_smsgate, caplog):
    app.config["SMSGATE_WEBHOOK_SECRET"] = ""
    body = json.dumps({"event": "system:ping", "id": "e1", "payload": {}}).encode()
    assert post(client, body, use_smsgate.sign(body, secret="")).status_code == 401
    assert "SMSGATE_WEBHOOK_SECRET is not set" in caplog.text


def test_no_webhook_token_is_needed_and_the_at_token_does_not_open_it(app, client, use_smsgate):
    body = json.dumps({"event": "system:ping", "id": "e1", "payload": {}}).encode()
    assert client.post(f"{URL}?token={TOKEN}", data=body).status_code == 401


# sms:received ----------------------------------------------------------------------------------------------


def test_an_incoming_sms_is_stored_and_answered(app, client, use_smsgate):
    response = event(
        client, use_smsgate, "sms:received", use_smsgate.received_payload(PHONE, "BANTUAN"), event_id="evt-A"
    )
    assert response.status_code == 200 and response.get_json() == {"status": "received", "replies": 1}
    [sms] = inbound()
    assert (sms.phone, sms.text, sms.provider_id, sms.status) == (PHONE, "BANTUAN", "evt-A", "delivered")
    assert len(outbox(PHONE, "reply")) == 1


def test_a_replayed_event_id_acts_once(app, client, use_smsgate):
    payload = use_smsgate.received_payload(PHONE, "DAFTAR")
    first = event(client, use_smsgate, "sms:received", payload, event_id="evt-B")
    again = event(client, use_smsgate, "sms:received", payload, event_id="evt-B")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json() == {"status": "duplicate"}
    assert len(inbound()) == 1 and len(outbox(PHONE)) == 1


def test_the_same_text_again_is_a_new_sms_though_its_message_id_repeats(app, client, use_smsgate):
    payload = use_smsgate.received_payload(PHONE, "BANTUAN")
    event(client, use_smsgate, "sms:received", payload)
    event(client, use_smsgate, "sms:received", payload)
    assert len(inbound()) == 2, "the payload's messageId comes from the content: the event id tells SMS apart"


@pytest.mark.parametrize(
    "raw,e164",
    [
        ("+6281234567201", "+6281234567201"),
        ("6281234567201", "+6281234567201"),
        ("081234567201", "+6281234567201"),
        ("85291234567", "+85291234567"),
        ("+886912345678", "+886912345678"),
        (" 6281234567201 ", "+6281234567201"),
    ],
)
def test_sender_numbers_with_or_without_plus_are_read_as_e164(app, client, use_smsgate, raw, e164):
    assert event(client, use_smsgate, "sms:received", use_smsgate.received_payload(raw, "INFO")).status_code == 200
    assert [m.phone for m in inbound()] == [e164]


@pytest.mark.parametrize("sender", ["TELKOMSEL", "3636", "Info-XL"])
def test_an_sms_from_a_carrier_name_or_short_code_is_acknowledged_and_not_answered(app, client, use_smsgate, sender):
    response = event(client, use_smsgate, "sms:received", use_smsgate.received_payload(sender, "Sisa pulsa Anda"))
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert Message.select().count() == 0


@pytest.mark.parametrize(
    "received_at", ["2026-11-28T13:04:45.000+07:00", "2026-11-28T06:04:45Z", "2026-11-28T13:04:45"]
)
def test_received_at_with_or_without_an_offset_is_accepted(app, client, use_smsgate, received_at):
    payload = use_smsgate.received_payload(PHONE, "INFO", received_at=received_at)
    assert event(client, use_smsgate, "sms:received", payload).status_code == 200
    assert len(inbound()) == 1


def test_a_blank_sms_gets_the_help_reply(app, client, use_smsgate):
    assert event(client, use_smsgate, "sms:received", use_smsgate.received_payload(PHONE, "")).status_code == 200
    assert len(outbox(PHONE, "reply")) == 1


def test_the_database_down_is_503_so_the_app_retries(app, client, use_smsgate, monkeypatch):
    def down(*args, **kwargs):
        raise peewee.OperationalError("database is locked")

    monkeypatch.setattr(Message, "record_inbound", down)
    response = event(client, use_smsgate, "sms:received", use_smsgate.received_payload(PHONE, "BANTUAN"))
    assert response.status_code == 503


# sms:sent, sms:delivered, sms:failed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,status", [("sms:sent", "sent"), ("sms:delivered", "delivered"), ("sms:failed", "failed")]
)
def test_message_events_move_our_message_through_the_status_table(app, client, use_smsgate, drain, kind, status):
    reply = sent_reply(client, use_smsgate, drain)
    response = event(client, use_smsgate, kind, payload_for(use_smsgate, kind, reply.provider_id))
    assert response.status_code == 200 and response.get_json() == {"status": "recorded"}
    reply = Message.get_by_id(reply.id)
    assert reply.status == status
    if kind == "sms:failed":
        assert reply.last_error == "RESULT_ERROR_NO_SERVICE"


def test_events_out_of_order_never_move_a_message_back(app, client, use_smsgate, drain):
    reply = sent_reply(client, use_smsgate, drain)
    for kind in ("sms:delivered", "sms:sent"):
        event(client, use_smsgate, kind, payload_for(use_smsgate, kind, reply.provider_id))
    assert Message.get_by_id(reply.id).status == "delivered"


def test_a_replayed_failure_acts_once(app, client, use_smsgate, drain):
    reply = sent_reply(client, use_smsgate, drain)
    payload = payload_for(use_smsgate, "sms:failed", reply.provider_id)
    for _ in range(2):
        assert event(client, use_smsgate, "sms:failed", payload, event_id="evt-F").status_code == 200
    reply = Message.get_by_id(reply.id)
    assert (reply.status, reply.last_error, reply.attempts) == ("failed", "RESULT_ERROR_NO_SERVICE", 1)
    assert not drain(), "a failure reported by the phone is not sent again"


def test_an_event_for_an_unknown_message_is_200_and_ignored(app, client, use_smsgate, caplog):
    for message_id in ("km-999999", "someone-elses-id"):
        response = event(client, use_smsgate, "sms:delivered", payload_for(use_smsgate, "sms:delivered", message_id))
        assert response.status_code == 200 and response.get_json() == {"status": "unknown message"}
    assert "unknown message id" in caplog.text


def test_an_event_that_beats_the_send_answer_is_kept(app, client, use_smsgate):
    reply = owed_reply(client, use_smsgate)
    assert reply.claim_for_sending()  # the job is waiting for the app's answer: no provider id yet
    ref = f"km-{reply.id}"
    event(client, use_smsgate, "sms:delivered", payload_for(use_smsgate, "sms:delivered", ref))
    assert (Message.get_by_id(reply.id).status, Message.get_by_id(reply.id).provider_id) == ("delivered", ref)
    record_result(Message.get_by_id(reply.id), SendResult(PHONE, ACCEPTED, provider_id=ref), [0.0])
    assert Message.get_by_id(reply.id).status == "delivered", "the late answer does not move it back to sent"


# system:ping -----------------------------------------------------------------------------------------------


def test_a_ping_records_the_phone_as_alive(app, client, use_smsgate):
    assert last_ping(app.extensions["redis"]) is None
    assert event(client, use_smsgate, "system:ping", use_smsgate.ping_payload("warn")).status_code == 200
    ping = last_ping(app.extensions["redis"])
    assert ping.device_id == use_smsgate.device_id and ping.health == "warn"
    assert abs((ping.at - utcnow()).total_seconds()) < 5
    assert Message.select().count() == 0


def test_a_ping_without_health_is_recorded(app, client, use_smsgate):
    assert event(client, use_smsgate, "system:ping", {}).status_code == 200
    assert last_ping(app.extensions["redis"]).health is None


# Unknown and malformed events ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["sms:data-received", "mms:received", "app:started", "sms:batch:received", "something:new"]
)
def test_event_types_we_do_not_use_are_200_and_ignored(app, client, use_smsgate, kind):
    response = event(client, use_smsgate, kind, {"anything": ["goes"]})
    assert response.status_code == 200 and response.get_json() == {"status": "ignored"}
    assert nothing_happened(app)


DROP = object()
RECEIVED = {"messageId": "m", "message": "DAFTAR", "phoneNumber": PHONE, "receivedAt": "2026-11-28T13:04:45.000+07:00"}
SENT = {"messageId": "km-1", "phoneNumber": PHONE, "sentAt": "2026-11-28T13:04:45.000+07:00"}


def envelope(content: object, kind: str = "sms:received", **changes: object) -> bytes:
    """An event body with envelope fields changed (DROP leaves one out)."""
    body = {"deviceId": DEVICE_ID, "event": kind, "id": "evt-M", "payload": content, "webhookId": "w", **changes}
    return json.dumps({k: v for k, v in body.items() if v is not DROP}).encode()


def received(**changes: object) -> bytes:
    """An sms:received body with payload fields changed (DROP leaves one out)."""
    return envelope({k: v for k, v in {**RECEIVED, **changes}.items() if v is not DROP})


def sent(**changes: object) -> bytes:
    """An sms:sent body with payload fields changed (DROP leaves one out)."""
    return envelope({k: v for k, v in {**SENT, **changes}.items() if v is not DROP}, kind="sms:sent")


@pytest.mark.parametrize(
    "body,field",
    [
        (b"{not json", "body"),
        (b"[]", "body"),
        (b'"sms:received"', "body"),
        (envelope(RECEIVED, event=DROP), "event"),
        (envelope(RECEIVED, event=7), "event"),
        (envelope(RECEIVED, event=""), "event"),
        (envelope(RECEIVED, id=DROP), "id"),
        (envelope(RECEIVED, id=""), "id"),
        (envelope(RECEIVED, id=12), "id"),
        (envelope(RECEIVED, payload=DROP), "payload"),
        (envelope("DAFTAR"), "payload"),
        (received(phoneNumber=DROP), "payload.phoneNumber"),
        (received(phoneNumber=6281234567201), "payload.phoneNumber"),
        (received(phoneNumber=""), "payload.phoneNumber"),
        (received(message=DROP), "payload.message"),
        (received(message=None), "payload.message"),
        (received(message=["DAFTAR"]), "payload.message"),
        (received(receivedAt=DROP), "payload.receivedAt"),
        (received(receivedAt="yesterday"), "payload.receivedAt"),
        (received(receivedAt="28/11/2026 13:04"), "payload.receivedAt"),
        (sent(messageId=DROP), "payload.messageId"),
        (sent(messageId=""), "payload.messageId"),
        (sent(reason=404), "payload.reason"),
        (envelope({"health": "ok"}, kind="system:ping"), "payload.health"),
        (envelope({"health": {"status": 1}}, kind="system:ping"), "payload.health.status"),
    ],
)
def test_a_malformed_event_is_400_naming_the_field(app, client, use_smsgate, body, field):
    response = post(client, body, use_smsgate.sign(body))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["field"] == field
    assert Message.select().count() == 0 and Person.select().count() == 0


@pytest.fixture
def live_url(app):
    """The app served over a real socket in a thread, as the phone would reach it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_over_a_real_socket_the_fake_app_delivers_signed_events(app, use_smsgate, live_url):
    response = use_smsgate.deliver(live_url + URL, "sms:received", use_smsgate.received_payload(PHONE, "INFO"))
    assert response.status_code == 200 and response.json()["status"] == "received"
    unsigned = use_smsgate.event("sms:received", use_smsgate.received_payload(PHONE, "INFO"))[0]
    assert requests.post(live_url + URL, data=unsigned, timeout=5).status_code == 401
    assert [m.phone for m in inbound()] == [PHONE]
