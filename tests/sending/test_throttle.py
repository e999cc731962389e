"""The phone backend's send throttle: GCRA permits in Redis, urgent first, turns; send jobs that wait, never fail."""
from __future__ import annotations

import pytest
from rq.registry import ScheduledJobRegistry

from models import Message, database, utcnow
from models.message import turn_job_id
from models.jobs import SMS_QUEUE, SMS_URGENT_QUEUE
from workers.queues import queue
from models.jobs import enqueue_after_commit
from workers.sweep import fire_due_sends
from workers.throttle import Throttle, throttle_for

PHONES = [f"+6281234{n:05d}" for n in range(1, 30)]
STAFF = "+6281299990001"


@pytest.fixture
def redis(app):
    return app.extensions["redis"]


@pytest.mark.parametrize("per_minute", [0, -1, 2.5, None])
def test_a_throttle_needs_a_positive_whole_rate(redis, per_minute):
    with pytest.raises(ValueError, match="per_minute"):
        Throttle(redis, per_minute)


def test_permits_come_one_interval_apart(redis):
    throttle = Throttle(redis, 60)  # one a second
    assert throttle.acquire() == 0
    wait = throttle.acquire()
    assert 0.9 <= wait <= 1.0, "the next permit is one interval later: no burst"


def test_an_urgent_sender_keeps_ordinary_ones_out_until_it_got_its_permit(redis):
    throttle = Throttle(redis, 60)
    assert throttle.acquire() == 0
    urgent_wait = throttle.acquire(urgent=True)
    assert 0 < urgent_wait <= 1.0
    assert throttle.acquire() > urgent_wait, "an ordinary sender is told to wait past the urgent one's permit"


def test_turns_are_handed_out_one_interval_apart_and_newcomers_queue_behind_them(redis):
    throttle = Throttle(redis, 60)
    assert throttle.acquire() == 0
    turns = [throttle.turn() for _ in range(3)]
    assert [round(b - a, 1) for a, b in zip(turns, turns[1:])] == [1.0, 1.0]
    assert throttle.acquire() > turns[-1], "a sender without a turn waits behind every deferred one"
    assert throttle.acquire(urgent=True) <= 1.0, "an urgent one does not"


def test_only_the_phone_backend_is_throttled(app, redis):
    assert throttle_for({"SMS_BACKEND": "outbox"}, redis) is None
    assert throttle_for({"SMS_BACKEND": "africastalking"}, redis) is None
    throttle = throttle_for({"SMS_BACKEND": "smsgate", "SMSGATE_MAX_PER_MINUTE": 20}, redis)
    assert throttle.per_minute == 20 and throttle.interval == 3.0


def queue_texts(phones, purpose="reply", text="Terima kasih."):
    with database.atomic():
        written = [Message.queue_outbound(phone, text, purpose) for phone in phones]
    enqueue_after_commit(written)
    return [o.message_id for o in written]


def test_on_the_phone_every_message_of_a_fan_out_has_its_own_job(app, redis, use_smsgate):
    queue_texts(PHONES)
    assert queue(SMS_QUEUE, redis).count == len(PHONES), "one paced send each, not one job per hundred"


def test_over_the_limit_a_message_waits_its_turn_queued_and_never_fails(app, redis, drain, use_smsgate):
    app.config["SMSGATE_MAX_PER_MINUTE"] = 2  # one permit every 30 s
    first, second, third = queue_texts(PHONES[:3])
    drain()
    assert len(use_smsgate.sent) == 1 and Message.get_by_id(first).status == "sent"
    waiting = [Message.get_by_id(i) for i in (second, third)]
    assert [(m.status, m.attempts, m.last_error) for m in waiting] == [("queued", 0, None)] * 2
    now = utcnow()
    turns = sorted((m.next_attempt_at - now).total_seconds() for m in waiting)
    assert 25 <= turns[0] <= 31 and 55 <= turns[1] <= 61, turns
    scheduled = ScheduledJobRegistry(queue=queue(SMS_QUEUE, redis)).get_job_ids()
    assert {turn_job_id(m.id, 0, m.next_attempt_at) for m in waiting} <= set(scheduled)


def test_the_sweep_does_not_duplicate_a_message_that_waits_for_its_turn(app, redis, drain, use_smsgate):
    app.config["SMSGATE_MAX_PER_MINUTE"] = 2
    queue_texts(PHONES[:2])
    drain()
    [waiting] = Message.select().where(Message.status == "queued")
    assert fire_due_sends(waiting.next_attempt_at) == 0, "its turn's job is live"


def test_an_alert_queued_last_goes_first(app, redis, drain, use_smsgate):
    queue_texts(PHONES[:20])
    [alert] = queue_texts([STAFF], purpose="alert", text="KASUS BARU K7Q4")
    assert queue(SMS_URGENT_QUEUE, redis).count == 1
    drain()
    assert use_smsgate.sent[0].id == f"km-{alert}", "the urgent queue is worked first"
    assert len(use_smsgate.sent) == 21 and {m.status for m in Message.select()} == {"sent"}


def test_an_accepted_send_is_kept_as_the_phones_last_send(app, redis, drain, use_smsgate):
    from workers.gateways.phone_status import last_send

    assert last_send(redis) is None
    queue_texts(PHONES[:1])
    drain()
    assert abs((last_send(redis) - utcnow()).total_seconds()) < 5
