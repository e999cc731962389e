"""The phone gateway under abuse (issue 16): a short signing key stops the start, events from another device are
refused, a 409 for someone else's message is not taken as sent, and neither the phone's password nor its signing
key nor the app's raw error words reach a log line as they are."""

from __future__ import annotations

import datetime as dt
import io
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Message
from service import create_app, logs
from service.config import ConfigError, load_config
from tests.support.fakes.smsgate import DEVICE_ID
from tests.support.outbox import outbox
from tests.support.settings import SMSGATE_PASSWORD, SMSGATE_SECRET
from workers.gateways import message_id_of
from workers.gateways.smsgate import ERROR_TEXT_LIMIT, content_bound_id, record_is_ours
from workers.gateways.smsgate_devices import DEVICES_KEY, RELEARN_AFTER, known_devices

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY_MORNING = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
WORKER = "+6281234567311"
OTHER = "+6281234567312"
URL = "/webhooks/smsgate"
FOREIGN_DEVICE = "strangerDevice00000000"


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        yield


def post_event(client, fake, kind: str, payload: dict, device: str | None = None):
    """One signed event as the app posts it, from the fake's phone or from `device`."""
    original = fake.device_id
    fake.device_id = original if device is None else device
    try:
        body, headers = fake.event(kind, payload)
    finally:
        fake.device_id = original
    return client.post(URL, data=body, headers=headers)


def say(client, fake, text: str, device: str | None = None, phone: str = WORKER):
    return post_event(client, fake, "sms:received", fake.received_payload(phone, text), device)


# The signing key --------------------------------------------------------------------------------------------

SMSGATE_ENV = {"SMS_BACKEND": "smsgate", "SMSGATE_USERNAME": "office", "SMSGATE_PASSWORD": "a-long-app-password"}


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_a_short_signing_key_stops_the_start_naming_the_variable(tmp_path, secret):
    with pytest.raises(ConfigError, match="SMSGATE_WEBHOOK_SECRET must be at least 32 characters"):
        load_config(tmp_path, env={**SMSGATE_ENV, "SMSGATE_WEBHOOK_SECRET": secret})


def test_a_short_signing_key_stops_create_app(tmp_path, monkeypatch):
    for name, value in {**SMSGATE_ENV, "SMSGATE_WEBHOOK_SECRET": "0123456789"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="SMSGATE_WEBHOOK_SECRET"):
        create_app({"TESTING": True})


def test_a_short_signing_key_is_refused_on_any_backend_and_none_is_needed_off_the_phone(tmp_path):
    with pytest.raises(ConfigError, match="SMSGATE_WEBHOOK_SECRET"):
        load_config(tmp_path, env={"SMSGATE_WEBHOOK_SECRET": "short"})
    assert load_config(tmp_path, env={})["SMSGATE_WEBHOOK_SECRET"] == ""


def test_a_long_signing_key_and_device_ids_are_read(tmp_path):
    config = load_config(
        tmp_path, env={**SMSGATE_ENV, "SMSGATE_WEBHOOK_SECRET": "s" * 32, "SMSGATE_DEVICE_ID": " phoneA , phoneB "}
    )
    assert (config["SMSGATE_WEBHOOK_SECRET"], config["SMSGATE_DEVICE_ID"]) == ("s" * 32, ("phoneA", "phoneB"))
    with pytest.raises(ConfigError, match="SMSGATE_DEVICE_ID"):
        load_config(tmp_path, env={"SMSGATE_DEVICE_ID": "phone A; DROP"})


# The device --------------------------------------------------------------------------------------------------


def test_an_event_from_another_device_is_refused_and_the_configured_one_taken(app, client, use_smsgate, caplog):
    response = say(client, use_smsgate, "BANTUAN", device=FOREIGN_DEVICE)
    assert response.status_code == 403 and response.get_json()["reason"] == "unknown device"
    assert Message.select().count() == 0, "nothing stored, nothing answered"
    assert "from device strangerDevice00000000 refused: not SMSGATE_DEVICE_ID" in caplog.text
    ping = post_event(client, use_smsgate, "system:ping", use_smsgate.ping_payload(), FOREIGN_DEVICE)
    assert ping.status_code == 403, "another device's ping cannot hide that our phone is silent"
    assert say(client, use_smsgate, "BANTUAN").status_code == 200
    assert len(outbox(WORKER, "reply")) == 1


def test_an_event_that_names_no_device_is_refused(app, client, use_smsgate):
    assert say(client, use_smsgate, "BANTUAN", device="").status_code == 403
    assert Message.select().count() == 0


def test_without_a_configured_device_the_list_is_learnt_from_the_app_and_others_refused(
    app, client, drain, use_smsgate, caplog
):
    app.config["SMSGATE_DEVICE_ID"] = ()
    use_smsgate.devices = [DEVICE_ID, "secondPhone0000000000"]
    first = say(client, use_smsgate, "BANTUAN")
    assert first.status_code == 503, "refused for now: the app keeps the event and retries it"
    assert Message.select().count() == 0
    assert drain(), "a worker reads the app's device list"
    assert ("GET", "/devices") in [(r.method, r.path) for r in use_smsgate.requests]
    assert known_devices(app.extensions["redis"]).ids == {DEVICE_ID, "secondPhone0000000000"}
    assert say(client, use_smsgate, "BANTUAN").status_code == 200, "the app's retry is taken"
    assert say(client, use_smsgate, "DAFTAR", device="secondPhone0000000000").status_code == 200
    drain()
    assert say(client, use_smsgate, "BANTUAN", device=FOREIGN_DEVICE).status_code == 403, "a fresh list is believed"
    assert not drain(), "no second look at a fresh list"
    assert "refused: not in the app's device list" in caplog.text


def test_a_device_added_since_the_list_was_learnt_is_taken_once_the_list_is_read_again(app, client, drain, use_smsgate):
    app.config["SMSGATE_DEVICE_ID"] = ()
    say(client, use_smsgate, "BANTUAN")
    drain()
    use_smsgate.devices = [DEVICE_ID, "newPhone0000000000000"]
    with time_machine.travel(MONDAY_MORNING + RELEARN_AFTER + dt.timedelta(minutes=1), tick=False):
        assert say(client, use_smsgate, "DAFTAR", device="newPhone0000000000000").status_code == 503
        drain()
        assert say(client, use_smsgate, "DAFTAR", device="newPhone0000000000000").status_code == 200


def test_a_device_list_that_cannot_be_read_refuses_every_event_with_a_clear_log_line(
    app, client, drain, use_smsgate, caplog
):
    app.config["SMSGATE_DEVICE_ID"] = ()
    use_smsgate.devices_fail = True
    caplog.set_level(logging.INFO)
    assert say(client, use_smsgate, "BANTUAN").status_code == 503
    drain()
    assert app.extensions["redis"].exists(DEVICES_KEY) == 0
    [line] = [r for r in caplog.records if "could not learn the phone's device id" in r.getMessage()]
    assert line.levelno == logging.ERROR and "SMSGATE_DEVICE_ID" in line.getMessage()
    assert say(client, use_smsgate, "BANTUAN").status_code == 503, "still refused, and the app still retries"
    use_smsgate.devices_fail = False
    drain()
    assert say(client, use_smsgate, "BANTUAN").status_code == 200
    assert len(outbox(WORKER, "reply")) == 1, "the event refused meanwhile acts once it is taken"


# A 409 for another message -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "held_phone,held_text,hashed",
    [
        (WORKER, "Kode lama dari sebelum pemulihan", False),  # same number, another text
        (OTHER, None, False),  # another number, the same text
        (WORKER, "Kode lama dari sebelum pemulihan", True),  # the app hashed the old record
    ],
)
def test_a_409_for_another_message_is_not_taken_as_sent(app, client, drain, use_smsgate, held_phone, held_text, hashed):
    assert say(client, use_smsgate, "BANTUAN").status_code == 200
    [reply] = outbox(WORKER, "reply")
    ref = f"km-{reply.id}"
    use_smsgate.hold(ref, held_phone, held_text or reply.text, hashed=hashed)  # a database restore: our ids repeat
    assert drain()
    bound = content_bound_id(ref, WORKER, reply.text)
    message = Message.get_by_id(reply.id)
    assert (message.status, message.provider_id) == ("sent", bound)
    assert use_smsgate.texts_to(WORKER)[-1] == reply.text, "the new message went out"
    assert message_id_of(bound) == reply.id
    body, headers = use_smsgate.event("sms:delivered", use_smsgate.status_payload("sms:delivered", bound, WORKER))
    assert client.post(URL, data=body, headers=headers).status_code == 200
    assert Message.get_by_id(reply.id).status == "delivered"


@pytest.mark.parametrize("hashed", [False, True])
def test_a_409_for_our_own_message_is_taken_as_sent_once(app, client, drain, use_smsgate, hashed):
    say(client, use_smsgate, "BANTUAN")
    [reply] = outbox(WORKER, "reply")
    use_smsgate.hold(f"km-{reply.id}", WORKER, reply.text, hashed=hashed)  # an earlier attempt got through
    assert drain()
    message = Message.get_by_id(reply.id)
    assert (message.status, message.provider_id) == ("sent", f"km-{reply.id}")
    assert len(use_smsgate.sent) == 1, "not sent twice"


def test_a_409_whose_record_cannot_be_read_is_retried_not_taken(app, client, drain, use_smsgate, monkeypatch):
    app.config["SMS_RETRY_DELAYS"] = [30.0]
    say(client, use_smsgate, "BANTUAN")
    [reply] = outbox(WORKER, "reply")
    use_smsgate.hold(f"km-{reply.id}", WORKER, reply.text)
    monkeypatch.setattr(use_smsgate, "message", lambda message_id: None)  # the record vanishes: GET answers 404
    drain()
    message = Message.get_by_id(reply.id)
    assert message.status == "queued" and "could not be read" in message.last_error
    assert len(use_smsgate.sent) == 1


def test_a_record_is_ours_only_with_our_number_and_text():
    record = {"recipients": [{"phoneNumber": WORKER, "state": "Sent"}], "textMessage": {"text": "halo"}}
    assert record_is_ours(record, WORKER, "halo") is True
    assert record_is_ours(record, WORKER, "halo lagi") is False
    assert record_is_ours(record, OTHER, "halo") is False
    assert record_is_ours({"recipients": record["recipients"]}, WORKER, "halo") is None, "no text shown"
    two = {**record, "recipients": [*record["recipients"], {"phoneNumber": OTHER, "state": "Sent"}]}
    assert record_is_ours(two, WORKER, "halo") is False


# Logs ------------------------------------------------------------------------------------------------------


@pytest.fixture
def stderr_log(app, use_smsgate):
    """The service's own log handler (the one writing to stderr), writing into a buffer, with the redaction that
    an app configured with the phone's password and signing key sets up at start."""
    logs.init_app(app)
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_kawalmigran", False)]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_the_password_and_the_signing_key_never_reach_the_log(app, stderr_log, client, drain, use_smsgate):
    logging.getLogger("service.probe").warning("settings %s %s", SMSGATE_PASSWORD, SMSGATE_SECRET)
    use_smsgate.fail_next(http_status=400, body=f'{{"message": "bad {SMSGATE_PASSWORD} {SMSGATE_SECRET}"}}')
    say(client, use_smsgate, "BANTUAN")
    drain()
    body, headers = use_smsgate.event("sms:received", use_smsgate.received_payload(WORKER, "x"))
    client.post(URL, data=body, headers={**headers, "X-Signature": SMSGATE_SECRET})
    written = stderr_log.getvalue()
    assert "settings *** ***" in written and "smsgate send of" in written
    assert SMSGATE_PASSWORD not in written and SMSGATE_SECRET not in written


def test_the_apps_raw_error_words_are_escaped_and_cut(app, stderr_log, client, drain, use_smsgate):
    forged = "RESULT_ERROR_NO_SERVICE\x1b[2J\n2026-11-30 INFO forged: all fine" + "x" * 500
    use_smsgate.respond_for(WORKER, state="Failed", error=forged)
    say(client, use_smsgate, "BANTUAN")
    drain()
    [reply] = outbox(WORKER, "reply")
    assert reply.status == "rejected"
    assert "\x1b" not in reply.last_error and "\n" not in reply.last_error
    assert "\\x1b[2J" in reply.last_error and len(reply.last_error) <= ERROR_TEXT_LIMIT + 20
    lines = [line for line in stderr_log.getvalue().splitlines() if "RESULT_ERROR_NO_SERVICE" in line]
    assert lines and all("\x1b" not in line and "x" * 300 not in line for line in lines)
    assert not any(line.startswith("2026-11-30 INFO forged") for line in stderr_log.getvalue().splitlines())
    failed = use_smsgate.status_payload("sms:failed", f"km-{reply.id}", WORKER, reason=forged)
    body, headers = use_smsgate.event("sms:failed", failed)
    assert client.post(URL, data=body, headers=headers).status_code == 200
    reason = Message.get_by_id(reply.id).last_error
    assert "\x1b" not in reason and len(reason) <= ERROR_TEXT_LIMIT + 20
