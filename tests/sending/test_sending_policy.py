"""The one sending policy: language, who may get what (opt-out, abroad, unsafe, staff) and quiet hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import catalog
from menus.notify import notify
from models import Message, Person, Staff, database
from models.jobs import enqueue_after_commit
from models.sending_policy import Recipient, UnknownPurpose, decide, purpose_named
from models.settings import quiet_hours_end
from tests.support.outbox import outbox
from tests.support.phones import Phone

JAKARTA = ZoneInfo("Asia/Jakarta")
WORKER = "+6281234567021"
ABROAD = "+85291234567"
STAFF = "+6281200000001"


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=JAKARTA)


def utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def write(phone: str, purpose: str, key: str = "sms.optin", **params: str):
    """Send through the policy as a feature does: inside a transaction, enqueued after it."""
    with database.atomic():
        outgoing = notify(phone, key, params, purpose)
    enqueue_after_commit([outgoing])
    return Message.get_by_id(outgoing.message_id)


@pytest.fixture
def staff_member(app):
    return Staff.create(phone=STAFF, name="Siti Pengurus", role="organizer", village="Tracap")


# The rules one by one --------------------------------------------------------------------------------------

DAYTIME = utc(local(28, 10))


@pytest.mark.parametrize(
    "purpose,recipient,refusal",
    [
        ("broadcast", Recipient(WORKER, opted_out=True), "opted out"),
        ("broadcast", Recipient(ABROAD), "abroad"),
        ("broadcast", Recipient(WORKER, unsafe=True), "unsafe"),
        ("case_news", Recipient(WORKER, unsafe=True), "unsafe"),
        ("reminder", Recipient(ABROAD, unsafe=True), "unsafe"),
        ("alert", Recipient(WORKER), "staff only"),
        ("digest", Recipient(ABROAD), "staff only"),
        ("case_news", Recipient(WORKER, opted_out=True), "opted out"),  # BERHENTI stops news too (issue 16)
        ("case_news", Recipient(ABROAD, opted_out=True), "opted out"),
        ("reminder", Recipient(WORKER, opted_out=True), "opted out"),
    ],
)
def test_the_policy_refuses_each_forbidden_case(purpose, recipient, refusal):
    verdict = decide(purpose_named(purpose), recipient, DAYTIME)
    assert not verdict.allowed and refusal in verdict.reason


@pytest.mark.parametrize(
    "purpose,recipient",
    [
        ("reply", Recipient(WORKER, opted_out=True, unsafe=True)),
        ("reply", Recipient(ABROAD, opted_out=True, unsafe=True)),
        ("welcome", Recipient(ABROAD, unsafe=True)),
        ("case_news", Recipient(ABROAD)),
        ("reminder", Recipient(ABROAD)),
        ("alert", Recipient(STAFF, is_staff=True, opted_out=True)),
        ("alert", Recipient(STAFF, is_staff=True, unsafe=True)),  # staff are staff, a test report's "not safe" aside
        ("escalation", Recipient(STAFF, is_staff=True, unsafe=True)),
        ("broadcast", Recipient(WORKER)),
    ],
)
def test_the_policy_allows_what_was_asked_for(purpose, recipient):
    verdict = decide(purpose_named(purpose), recipient, DAYTIME)
    assert verdict.allowed and verdict.not_before is None


@pytest.mark.parametrize(
    "clock,waits_until",
    [
        (local(28, 20, 59), None),
        (local(28, 21, 0), local(29, 6, 0)),
        (local(28, 23, 30), local(29, 6, 0)),
        (local(29, 0, 0), local(29, 6, 0)),
        (local(29, 5, 59), local(29, 6, 0)),
        (local(29, 6, 0), None),
    ],
)
def test_quiet_hours_are_21_to_6_local(app, clock, waits_until):
    assert quiet_hours_end(utc(clock)) == (utc(waits_until) if waits_until else None)


@pytest.mark.parametrize("purpose", ["reply", "welcome", "alert", "escalation"])
def test_replies_and_staff_alerts_ignore_quiet_hours(purpose):
    recipient = Recipient(STAFF, is_staff=True)
    assert decide(purpose_named(purpose), recipient, utc(local(28, 23))).not_before is None


def test_an_unknown_purpose_is_refused_loudly(app):
    with pytest.raises(UnknownPurpose):
        notify(WORKER, "sms.optin", None, "newsletter")


# Through the whole path: rows, language, a real worker ---------------------------------------------------------


def test_a_refused_sms_is_a_row_with_its_reason_and_never_sent(app, drain, use_africastalking):
    Person.opt_out(WORKER)
    message = write(WORKER, "broadcast")
    assert (message.status, message.last_error) == ("refused", "refused: number opted out of unsolicited SMS")
    abroad = write(ABROAD, "broadcast")
    assert abroad.status == "refused" and "abroad" in abroad.last_error
    drain()
    assert use_africastalking.requests == []
    assert {m.status for m in outbox()} == {"refused"}


def test_an_unsafe_number_gets_replies_to_its_own_messages_only(app, send_sms, drain):
    Person.mark_unsafe(WORKER)
    assert Phone(send_sms, WORKER).say("INFO AMAN") == catalog.text("info.safe.text", "id")
    news = write(WORKER, "case_news")
    assert news.status == "refused" and "unsafe" in news.last_error
    drain()
    assert [m.status for m in outbox(WORKER)] == ["sent", "refused"]


def test_staff_get_alerts_in_their_own_language(app, staff_member, drain):
    Staff.update(language="en").where(Staff.phone == STAFF).execute()
    alert = write(STAFF, "alert", "sms.optin")
    assert alert.text == catalog.text("sms.optin", "en")
    worker_alert = write(WORKER, "alert")
    assert worker_alert.status == "refused", "case alerts never go to a number that is not staff"
    drain()
    assert Message.get_by_id(alert.id).status == "sent"


def test_a_person_gets_their_chosen_language(app):
    Person.contact(WORKER).update_fields(language="jv")
    assert write(WORKER, "reminder").text == catalog.text("sms.optin", "jv")


def test_a_non_urgent_sms_written_at_22_waits_for_06_local(app, drain, runner, use_africastalking):
    with time_machine.travel(local(28, 22, 0), tick=False):
        message = write(WORKER, "reminder")
        assert message.status == "queued" and message.next_attempt_at == utc(local(29, 6, 0))
        reply = write(WORKER, "reply", key="sms.help")  # another text: the same one within 10 minutes is refused
        drain()
    assert Message.get_by_id(reply.id).status == "sent", "a reply goes at once, quiet hours or not"
    with time_machine.travel(local(29, 5, 59), tick=False):
        drain()
        runner.invoke(args=["sweep"])
        drain()
        assert Message.get_by_id(message.id).status == "queued", "not before 06:00"
    with time_machine.travel(local(29, 6, 0), tick=False):
        drain()
    sent = Message.get_by_id(message.id)
    assert sent.status == "sent" and sent.attempts == 1
    assert len(use_africastalking.requests) == 2


def test_a_deferred_sms_whose_job_redis_lost_is_sent_once_by_the_sweep(app, drain, runner, use_africastalking):
    with time_machine.travel(local(28, 23, 0), tick=False):
        message = write(WORKER, "broadcast")
    app.extensions["redis"].flushdb()
    with time_machine.travel(local(29, 6, 1), tick=False):
        assert not drain()
        assert runner.invoke(args=["sweep"]).exit_code == 0
        drain()
        runner.invoke(args=["sweep"])
        drain()
    assert Message.get_by_id(message.id).status == "sent"
    assert len(use_africastalking.requests) == 1
