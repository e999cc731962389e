"""Outbound SMS end to end: outbox rows, send jobs on a real worker, Africa's Talking (the fake), retries, sweep."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys

import pytest
from rq.registry import ScheduledJobRegistry

from models import Message
from models.gsm import sms_size
from models.jobs import SMS_QUEUE
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.outbox import outbox
from tests.support.settings import AT_API_KEY, AT_USERNAME, TOKEN
from workers.queues import queue

PHONE = "+6281234567002"


def ask_help(send_sms, phone=PHONE) -> Message:
    """Make the service owe one reply (the help text) and return it."""
    assert send_sms(phone, "BANTUAN").status_code == 200
    [reply] = outbox(phone)
    return reply


def test_reply_goes_through_africastalking(app, send_sms, drain, use_africastalking):
    reply = ask_help(send_sms)
    assert drain()
    [request] = use_africastalking.requests
    assert request.path == "/version1/messaging"
    assert request.headers["apikey"] == AT_API_KEY
    assert request.form["username"] == AT_USERNAME
    assert request.form["to"] == PHONE
    assert request.form["from"] == "KawalMigran"
    assert request.form["bulkSMSMode"] == "1"
    assert request.form["message"] == reply.text
    sent = Message.get_by_id(reply.id)
    assert sent.status == "sent" and sent.provider_id.startswith("ATXid_") and sent.attempts == 1
    assert sent.cost == "IDR 250.0000"


@pytest.mark.parametrize(
    "code,status", [(403, "InvalidPhoneNumber"), (405, "InsufficientBalance"), (406, "UserInBlacklist")]
)
def test_rejection_is_final_and_keeps_the_reason(app, send_sms, drain, use_africastalking, code, status):
    use_africastalking.respond_for(PHONE, status_code=code, status=status)
    reply = ask_help(send_sms)
    drain()
    rejected = Message.get_by_id(reply.id)
    assert rejected.status == "rejected" and rejected.attempts == 1
    assert str(code) in rejected.last_error and status in rejected.last_error
    assert len(use_africastalking.requests) == 1, "a permanent rejection is not retried"


def test_gateway_errors_are_retried_then_sent(app, send_sms, drain, use_africastalking):
    use_africastalking.fail_next(http_status=500)
    use_africastalking.fail_next(http_status=502)
    reply = ask_help(send_sms)
    drain()
    sent = Message.get_by_id(reply.id)
    assert (sent.status, sent.attempts) == ("sent", 3)
    assert len(use_africastalking.requests) == 3


def test_per_recipient_5xx_is_retried(app, send_sms, drain, use_africastalking):
    use_africastalking.respond_for(PHONE, status_code=500, status="InternalServerError")
    reply = ask_help(send_sms)
    drain()
    failed = Message.get_by_id(reply.id)
    assert (failed.status, failed.attempts) == ("failed", 4), "1 attempt + 3 retries, then it gives up"
    assert "gave up after 4 attempts" in failed.last_error


def test_timeout_is_retryable(app, send_sms, drain, use_africastalking):
    app.config["AT_TIMEOUT_SECONDS"] = 0.5
    use_africastalking.fail_next(delay=1.5)
    reply = ask_help(send_sms)
    drain()
    assert Message.get_by_id(reply.id).status == "sent"
    assert Message.get_by_id(reply.id).attempts == 2


@frozen_at(MONDAY_MORNING)
def test_retry_waits_for_the_configured_delay(app, send_sms, drain, use_africastalking, runner):
    app.config["SMS_RETRY_DELAYS"] = [300.0]
    use_africastalking.fail_next(http_status=503)
    reply = ask_help(send_sms)
    drain()
    waiting = Message.get_by_id(reply.id)
    assert (waiting.status, waiting.next_attempt_at) == ("queued", stored(MONDAY_MORNING) + dt.timedelta(seconds=300))
    registry = ScheduledJobRegistry(queue=queue(SMS_QUEUE))
    assert registry.get_job_ids() == [f"sms-{reply.id}-1"]
    runner.invoke(args=["sweep"])
    assert registry.get_job_ids() == [f"sms-{reply.id}-1"], "the sweep leaves a scheduled retry alone"
    assert len(use_africastalking.requests) == 1


def test_send_job_is_idempotent(app, send_sms, drain, use_africastalking):
    from workers.queues import enqueue
    from workers.sms_jobs import send_spec

    reply = ask_help(send_sms)
    enqueue([send_spec(reply.id, 0)])
    queue(SMS_QUEUE).enqueue("workers.sms_jobs.send_message", reply.id, job_id="a-duplicate-job")
    drain()
    assert len(use_africastalking.requests) == 1
    assert Message.get_by_id(reply.id).status == "sent"


def test_sweep_reenqueues_messages_whose_job_redis_lost(app, send_sms, drain, runner, use_africastalking):
    reply = ask_help(send_sms)
    app.extensions["redis"].flushdb()
    assert not drain()
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0
    drain()
    runner.invoke(args=["sweep"])
    drain()
    assert Message.get_by_id(reply.id).status == "sent"
    assert len(use_africastalking.requests) == 1


def test_segments_and_encoding_are_counted(app, send_sms):
    reply = ask_help(send_sms)
    assert (reply.segments, reply.encoding) == (sms_size(reply.text).segments, "gsm7")
    assert sms_size("Halo 😀").encoding == "ucs2"
    assert sms_size("a" * 160).segments == 1 and sms_size("a" * 161).segments == 2
    assert sms_size("[" * 80).segments == 1 and sms_size("[" * 81).segments == 2
    assert sms_size("ê" * 70).segments == 1 and sms_size("ê" * 71).segments == 2


def test_api_key_never_logged(app, send_sms, drain, use_africastalking, caplog):
    caplog.set_level(logging.DEBUG)
    use_africastalking.fail_next(http_status=500)
    ask_help(send_sms)
    use_africastalking.respond_for("+6281234567003", status_code=403, status="InvalidPhoneNumber")
    ask_help(send_sms, "+6281234567003")
    drain()
    assert caplog.records, "the send path logs"
    for record in caplog.records:
        assert AT_API_KEY not in record.getMessage()
        assert TOKEN not in record.getMessage()


def test_flask_worker_cli_sends_in_burst_mode(app, send_sms, base_config, fake_at):
    """The real `flask worker --burst` process (a forking RQ worker) sends what is queued."""
    reply = ask_help(send_sms)
    env = {
        **os.environ,
        "DATABASE_URL": base_config["DATABASE_URL"],
        "REDIS_URL": base_config["REDIS_URL"],
        "SMS_BACKEND": "africastalking",
        "AT_USERNAME": AT_USERNAME,
        "AT_API_KEY": AT_API_KEY,
        "AT_API_URL": fake_at.url,
        "WEBHOOK_TOKEN": TOKEN,
    }
    from models import database

    database.close()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "service", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert AT_API_KEY not in done.stderr + done.stdout
    assert Message.get_by_id(reply.id).status == "sent"
    assert [r.form["to"] for r in fake_at.requests] == [PHONE]


def test_messages_with_the_same_text_go_in_one_request(app, send_sms, drain, use_africastalking):
    other = "+85291234567"
    use_africastalking.respond_for(other, status_code=406, status="UserInBlacklist")
    first, second = ask_help(send_sms), ask_help(send_sms, other)
    assert first.text == second.text
    drain()
    [request] = use_africastalking.requests
    assert request.form["to"].split(",") == [PHONE, other]
    sent, blocked = Message.get_by_id(first.id), Message.get_by_id(second.id)
    assert (sent.status, sent.attempts) == ("sent", 1) and sent.provider_id.startswith("ATXid_")
    assert (blocked.status, blocked.attempts) == ("rejected", 1) and "UserInBlacklist" in blocked.last_error


def test_identical_texts_to_one_number_are_never_in_one_provider_call(app, drain, use_africastalking):
    from menus import catalog
    from models import database
    from models.jobs import enqueue_after_commit

    # rows written straight to the outbox: the sending policy refuses the same text to a number within 10 minutes
    text = catalog.text("sms.optin", "id")
    with database.atomic():
        written = [
            Message.queue_outbound(phone, text, "reply")
            for phone in ("+6281234567051", "+6281234567051", "+6281234567052")
        ]
    enqueue_after_commit(written)
    drain()
    assert [Message.get_by_id(o.message_id).status for o in written] == ["sent", "sent", "sent"]
    calls = [request.form["to"].split(",") for request in use_africastalking.requests]
    assert all(len(set(to)) == len(to) for to in calls), calls
    assert len({Message.get_by_id(o.message_id).provider_id for o in written}) == 3


def test_a_fan_out_is_one_job_per_hundred_and_one_provider_call_per_hundred(app, drain, use_africastalking):
    from menus.notify import notify
    from models import database
    from models.jobs import enqueue_after_commit

    phones = [f"+62812345{n:05d}" for n in range(250)]
    with database.atomic():
        written = [notify(phone, "sms.optin", None, "reply", language="id") for phone in phones]
        written.append(notify("+6281299999999", "sms.optout", None, "reply", language="id"))
    assert enqueue_after_commit(written) == 4, "three jobs for the 250 same texts, one for the other text"
    assert queue(SMS_QUEUE, app.extensions["redis"]).count == 4
    drain()
    assert {Message.get_by_id(o.message_id).status for o in written} == {"sent"}
    sizes = sorted(len(request.form["to"].split(",")) for request in use_africastalking.requests)
    assert sizes == [1, 50, 100, 100], "250 texts in three provider calls"
