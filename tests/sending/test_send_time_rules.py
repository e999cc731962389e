"""Issue 16, the sending path: the rules decided again just before the gateway call, staff who are staff, retries
that wait the first delay, each kind of SMS in its own share of SMS_DAILY_LIMIT, an interrupted send through
Africa's Talking kept for a human, and the limits failing closed (for what the service starts) while Redis is down.

Real database, real Redis, real burst worker; the service's clock moves with time-machine.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rq.registry import ScheduledJobRegistry

from menus import catalog
from menus.notify import notify
from models import Case, Message, Person, database
from models.jobs import SMS_QUEUE, SMS_URGENT_QUEUE, enqueue_after_commit
from models.sending_policy import COUNT_AT_SEND
from models.settings import SETTINGS
from models.sms_quota import ALERTS, REPLIES, SERVICE, SmsQuota
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.redis_switch import use_redis
from tests.support.reports import ussd_report_to_safe
from tests.support.staff import COORDINATOR, ORGANIZER
from tests.support.villages import seed_villages
from workers.queues import connect_redis, queue
from workers.sweep import MAY_HAVE_GONE, STUCK_SENDING_AFTER
from workers.throttle import KEY_PREFIX as THROTTLE_KEYS
from workers.throttle import throttle_for

JAKARTA = ZoneInfo("Asia/Jakarta")
REPORTER = "+6281234567081"
NEIGHBOUR = "+6281234567082"
REAL_DELAYS = [30.0, 120.0, 600.0]
"""SMS_RETRY_DELAYS' default: the first retry after 30 s, not the last delay."""


def local(day: int, hour: int, minute: int = 0, second: float = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=JAKARTA) + dt.timedelta(seconds=second)


def utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def write(phone: str, purpose: str, key: str = "sms.optin", **params: str) -> Message:
    """Write one SMS through the policy inside a transaction and enqueue it after the commit, as a feature does."""
    with database.atomic():
        outgoing = notify(phone, key, params or None, purpose, language="id")
    enqueue_after_commit([outgoing])
    return Message.get_by_id(outgoing.message_id)


def reload(message: Message) -> Message:
    return Message.get_by_id(message.id)


def texts_to(fake_at, phone: str) -> list[str]:
    """What the fake Africa's Talking was asked to send to `phone`."""
    return [r.form["message"] for r in fake_at.requests if phone in r.form["to"].split(",")]


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


# Item 3: what goes out is checked when it goes out -------------------------------------------------------------


@pytest.mark.parametrize("change_of_mind", ["BERHENTI", "unsafe"])
def test_news_held_for_the_morning_is_refused_after_a_change_of_mind_overnight(
    app, send_sms, drain, runner, use_africastalking, change_of_mind
):
    with at(local(28, 22, 0)):
        news = write(REPORTER, "case_news")
        assert (news.status, news.next_attempt_at) == ("queued", utc(local(29, 6, 0))), "held for the morning"
        drain()
    with at(local(28, 23, 30)):
        if change_of_mind == "BERHENTI":
            assert Phone(send_sms, REPORTER).say("BERHENTI") == catalog.text("sms.optout", "id")
        else:
            with database.atomic():
                Person.mark_unsafe(REPORTER)
        drain()
    with at(local(29, 6, 0)):
        settle(drain, runner)
    refused = reload(news)
    assert refused.status == "refused" and refused.attempts == 0
    assert ("opted out" if change_of_mind == "BERHENTI" else "unsafe") in refused.last_error
    assert news.text not in texts_to(use_africastalking, REPORTER), "never sent"


def test_after_berhenti_status_still_answers_but_news_stops(app, send_sms, drain, use_africastalking):
    phone = Phone(send_sms, REPORTER)
    with at(local(28, 10, 0)):
        phone.say("BERHENTI")
        assert phone.say("STATUS") is not None, "STATUS is a reply: it answers"
        news = write(REPORTER, "case_news")
        drain()
    assert news.status == "refused" and "opted out" in news.last_error
    assert {m.status for m in outbox(REPORTER, "reply")} == {"sent"}


def test_a_retry_to_a_number_marked_unsafe_since_is_refused(app, drain, use_africastalking):
    app.config["SMS_RETRY_DELAYS"] = REAL_DELAYS
    use_africastalking.fail_next(http_status=500)
    with at(local(28, 10, 0)):
        news = write(REPORTER, "case_news")
        drain()
        assert reload(news).status == "queued", "a retry is owed"
        with database.atomic():
            Person.mark_unsafe(REPORTER)
    with at(local(28, 10, 0, 30)):
        drain()
    refused = reload(news)
    assert refused.status == "refused" and "unsafe" in refused.last_error
    assert len(use_africastalking.requests) == 1, "the first try only"


def test_a_message_waiting_for_the_phones_turn_is_refused_once_its_number_opted_out(app, send_sms, drain, use_smsgate):
    redis = app.extensions["redis"]
    app.config["SMSGATE_MAX_PER_MINUTE"] = 2  # one permit every 30 s
    with at(local(28, 10, 0)):
        first = write(NEIGHBOUR, "training_news")
        waiting = write(REPORTER, "training_news")
        drain()
        assert reload(first).status == "sent"
        assert reload(waiting).status == "queued" and reload(waiting).next_attempt_at is not None, "its turn"
        with database.atomic():
            Person.opt_out(REPORTER)
    throttle_for(app.config, redis).reset()  # the throttle runs on Redis's clock: its turn has come
    with at(local(28, 10, 1)):
        drain()
    refused = reload(waiting)
    assert refused.status == "refused" and "opted out" in refused.last_error
    assert [m.id for m in use_smsgate.sent] == [f"km-{first.id}"]


def test_a_direct_reply_is_not_decided_again(app, send_sms, drain, use_africastalking):
    """A reply answers the person's own message: it goes, whatever the marks (it is the hot path, no look-up)."""
    with at(local(28, 10, 0)):
        with database.atomic():
            Person.mark_unsafe(REPORTER)
        answer = Phone(send_sms, REPORTER).say("INFO")
        drain()
    assert answer and [m.status for m in outbox(REPORTER, "reply")] == ["sent"]


# Item 4: staff are staff --------------------------------------------------------------------------------------


def test_an_organiser_who_tested_an_unsafe_report_still_gets_every_alert(
    app, case_staff, ussd, drain, runner, use_africastalking
):
    seed_villages()
    with at(local(28, 10, 0)):
        with database.atomic():
            Person.mark_unsafe(ORGANIZER)  # the organiser answered "not safe" in a test report
        session = ussd(REPORTER)
        ussd_report_to_safe(session, category="violence")
        assert session.answer("1", "1", "1").startswith("END ")
        drain()
    case = Case.get()
    [alert] = outbox(ORGANIZER, "alert")
    assert alert.status == "sent", alert.last_error
    assert case.display_code in alert.text
    with at(local(28, 12, 1)):  # nobody took the urgent case: the escalation reaches the organiser too
        settle(drain, runner)
    assert [m.status for m in outbox(ORGANIZER, "escalation")] == ["sent"]


# Item 8: retries wait the first delay ---------------------------------------------------------------------------


def test_the_first_retry_of_a_phone_send_waits_30_seconds(app, drain, use_smsgate):
    app.config["SMS_RETRY_DELAYS"] = REAL_DELAYS
    use_smsgate.fail_next(http_status=503)  # the phone was offline for a moment
    with at(local(28, 10, 0)):
        alert_to = write(REPORTER, "training_news")
        drain()
    waiting = reload(alert_to)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert waiting.next_attempt_at == utc(local(28, 10, 0, 30)), "the first delay, not the last"
    registry = ScheduledJobRegistry(queue=queue(SMS_QUEUE))
    assert registry.get_job_ids() == [f"sms-{waiting.id}-1"], "a job of its own, not the running one's id"
    with at(local(28, 10, 0, 29)):
        drain()
    assert reload(waiting).status == "queued" and not use_smsgate.sent
    with at(local(28, 10, 0, 30)):
        drain()
    sent = reload(waiting)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert len(use_smsgate.sent) == 1


def test_a_retry_due_at_a_fraction_of_a_second_is_not_started_early(app, drain, use_africastalking):
    """RQ schedules whole seconds: a retry due at 10:00:30.4 must not start at 10:00:30 and find nothing due."""
    app.config["SMS_RETRY_DELAYS"] = REAL_DELAYS
    use_africastalking.fail_next(http_status=502)
    with at(local(28, 10, 0, 0.4)):
        news = write(REPORTER, "case_news")
        drain()
    assert reload(news).next_attempt_at == utc(local(28, 10, 0, 30.4))
    [job_id] = ScheduledJobRegistry(queue=queue(SMS_QUEUE)).get_job_ids()
    scheduled = ScheduledJobRegistry(queue=queue(SMS_QUEUE)).get_scheduled_time(job_id)
    assert scheduled.replace(tzinfo=None) == utc(local(28, 10, 0, 31))
    with at(local(28, 10, 0, 31)):
        drain()
    assert (reload(news).status, reload(news).attempts) == ("sent", 2)


# Item 1: each kind of SMS has its own share -------------------------------------------------------------------


def test_a_flood_of_alerts_leaves_the_replies_share_alone_and_tells_the_coordinators_once(
    app, case_staff, send_sms, drain, use_africastalking, monkeypatch
):
    monkeypatch.setattr(SETTINGS, "sms_daily_limit", 20)  # replies 5, alerts 3, the service's own 12
    with at(local(28, 10, 0)):
        alerts = [write(ORGANIZER, "alert", "sms.soon") for _ in range(8)]
        assert {m.status for m in alerts} == {"queued"}, "alerts are never refused"
        victim = Phone(send_sms, REPORTER).say("INFO")
        drain()
    assert victim is not None and [m.status for m in outbox(REPORTER, "reply")] == ["sent"]
    assert {reload(m).status for m in alerts} == {"sent"}
    told = [m for m in outbox(COORDINATOR, "alert")]
    assert [m.text for m in told] == [catalog.text("sms.share_used.alerts", "id", {"count": "3"})], "once"
    quota = SmsQuota(app.extensions["redis"])
    day = local(28, 10, 0).date()
    assert quota.spent(day, ALERTS) == 9 and quota.spent(day, REPLIES) == 1


def test_used_up_replies_do_not_stop_reminders_and_the_reverse(app, drain, monkeypatch):
    monkeypatch.setattr(SETTINGS, "sms_daily_limit", 8)  # replies 2, the service's own 4
    numbers = [f"+62812345671{n:02d}" for n in range(8)]
    with at(local(28, 10, 0)):
        replies = [write(n, "reply", "sms.help") for n in numbers[:3]]
        reminders = [write(n, "reminder") for n in numbers[:5]]
    assert [m.status for m in replies] == ["queued", "queued", "refused"]
    assert [m.status for m in reminders] == ["queued"] * 4 + ["refused"]
    assert "news, reminders, digests and broadcasts" in reminders[-1].last_error


def test_a_broadcast_takes_at_most_half_the_day_and_continues_the_next_morning(
    app, case_staff, drain, runner, use_africastalking, monkeypatch
):
    monkeypatch.setattr(SETTINGS, "sms_daily_limit", 10)  # the service's own 6, of which broadcasts half the day: 5
    numbers = [f"+62812345672{n:02d}" for n in range(7)]
    with at(local(28, 10, 0)):
        written = [write(n, "broadcast", "sms.soon") for n in numbers]
        drain()
    statuses = [reload(m).status for m in written]
    assert statuses == ["sent"] * 5 + ["queued"] * 2
    later = [reload(m) for m in written[5:]]
    assert {m.next_attempt_at for m in later} == {utc(local(29, 6, 0))}
    assert all(m.last_error.startswith(COUNT_AT_SEND) for m in later)
    [told] = outbox(COORDINATOR, "alert")
    assert told.text == catalog.text("sms.share_used.broadcasts", "id", {"count": "5"})
    with at(local(29, 6, 0)):
        settle(drain, runner)
    assert [reload(m).status for m in written] == ["sent"] * 7, "continued the next morning"
    assert {reload(m).last_error for m in later} == {None}
    assert SmsQuota(app.extensions["redis"]).spent(local(29, 6, 0).date(), SERVICE) == 2, "counted on their day"


def test_an_alert_goes_on_the_urgent_queue_even_when_batched(app, case_staff, use_africastalking):
    redis = app.extensions["redis"]
    with at(local(28, 10, 0)):
        write(REPORTER, "reminder")
        write(ORGANIZER, "alert", "sms.soon")
    assert queue(SMS_URGENT_QUEUE, redis).count == 1 and queue(SMS_QUEUE, redis).count == 1


def test_an_urgent_alert_deferred_by_the_throttle_keeps_ordinary_sends_out_until_its_turn(
    app, case_staff, drain, use_smsgate
):
    redis = app.extensions["redis"]
    app.config["SMSGATE_MAX_PER_MINUTE"] = 6  # one permit every 10 s: an urgent send cannot wait that long
    throttle = throttle_for(app.config, redis)
    with at(local(28, 10, 0)):
        write(REPORTER, "reminder")
        drain()
        alert = write(ORGANIZER, "alert", "sms.soon")
        drain()
    assert reload(alert).status == "queued", "deferred to the next permit"
    seconds, microseconds = redis.time()
    hold_ends = seconds * 1000 + microseconds // 1000 + redis.pttl(f"{THROTTLE_KEYS}:hold")
    permit = int(redis.get(f"{THROTTLE_KEYS}:tat"))
    assert hold_ends >= permit + 1_500, "held past its turn: RQ starts its job in whole seconds, maybe late"
    assert throttle.acquire(urgent=False, has_turn=True) > 0, "an ordinary message with its turn steps aside"


# Item 12: an interrupted send through Africa's Talking; Redis down ---------------------------------------------


def test_a_send_interrupted_through_africas_talking_is_kept_for_a_human_not_sent_twice(
    app, drain, runner, use_africastalking
):
    with at(local(28, 10, 0)):
        news = write(REPORTER, "case_news")
        assert news.claim_for_sending(), "a worker took it, then died during the call"
    with at(local(28, 10, 0) + STUCK_SENDING_AFTER + dt.timedelta(minutes=1)):
        settle(drain, runner)
    held = reload(news)
    assert (held.status, held.last_error) == ("failed", MAY_HAVE_GONE)
    assert use_africastalking.requests == [], "not sent again"


def test_a_send_interrupted_on_the_phone_is_sent_again_under_the_same_id(app, drain, runner, use_smsgate):
    with at(local(28, 10, 0)):
        news = write(REPORTER, "case_news")
        assert news.claim_for_sending()
    with at(local(28, 10, 0) + STUCK_SENDING_AFTER + dt.timedelta(minutes=1)):
        settle(drain, runner)
    assert reload(news).status == "sent" and [m.id for m in use_smsgate.sent] == [f"km-{news.id}"]


def test_with_redis_down_reminders_wait_for_the_limits_while_replies_and_alerts_go(
    app, case_staff, send_sms, drain, runner, use_africastalking, caplog
):
    with at(local(28, 10, 0)):
        use_redis(app, connect_redis("redis://127.0.0.1:1/0"))
        reminder = write(REPORTER, "reminder")
        reply = write(NEIGHBOUR, "reply", "sms.help")
        alert = write(ORGANIZER, "alert", "sms.soon")
        use_redis(app, connect_redis(app.config["REDIS_URL"]))
    assert reminder.status == "queued" and reminder.last_error.startswith(COUNT_AT_SEND), "fails closed: waits"
    assert (reply.status, reply.last_error) == ("queued", None), "a reply goes uncounted"
    assert (alert.status, alert.last_error) == ("queued", None), "an alert goes uncounted"
    assert "SMS limits unavailable" in caplog.text
    with at(local(28, 10, 1)):
        settle(drain, runner)
    assert [reload(m).status for m in (reminder, reply, alert)] == ["sent"] * 3
    assert reload(reminder).last_error is None
    assert SmsQuota(app.extensions["redis"]).spent(local(28, 10, 1).date(), SERVICE) == 1, "counted when sent"
