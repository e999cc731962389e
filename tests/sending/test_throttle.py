"""The phone backend's send throttle: GCRA permits in Redis, urgent first, turns; send jobs that wait, never fail."""

from __future__ import annotations

import datetime as dt

import pytest
from rq.registry import ScheduledJobRegistry

from models import Message, Staff, database, utcnow
from models.jobs import SMS_QUEUE, SMS_URGENT_QUEUE, enqueue_after_commit
from models.message import turn_job_id
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from workers.queues import queue
from workers.sweep import fire_due_sends
from workers.throttle import KEY_PREFIX, Throttle, throttle_for

PHONES = [f"+6281234{n:05d}" for n in range(1, 30)]
STAFF = "+6281299990001"


@pytest.fixture
def redis(app):
    return app.extensions["redis"]


@pytest.mark.parametrize("per_minute", [0, -1, 2.5, None])
def test_a_throttle_needs_a_positive_whole_rate(redis, per_minute):
    with pytest.raises(ValueError, match="per_minute"):
        Throttle(redis, per_minute)


def redis_ms(redis) -> int:
    """Now on the throttle's clock (the service's, `models.utcnow`: what time-machine moves), in milliseconds."""
    return int(utcnow().replace(tzinfo=dt.UTC).timestamp() * 1000)


def asked(redis, call):
    """Call `call` and return (what it answered, the earliest and latest Redis time it can have read as now)."""
    before = redis_ms(redis)
    answer = call()
    return answer, before, redis_ms(redis)


def scheduled(redis, name: str) -> int:
    """The throttle's stored schedule on Redis's clock (ms): `tat` the next permit, `tail` the last turn handed."""
    return int(redis.get(f"{KEY_PREFIX}:{name}"))


def told_to_come_at(moment: int, answer: tuple[float, int, int]) -> bool:
    """The wait answered is exactly until `moment` (ms): now, as the throttle read it during the call, + wait."""
    wait, before, after = answer
    return before <= moment - round(wait * 1000) <= after


def test_permits_come_one_interval_apart(redis):
    throttle = Throttle(redis, 60)  # one a second
    granted, before, after = asked(redis, throttle.acquire)
    assert granted == 0
    next_permit = scheduled(redis, "tat")
    assert before + 1000 <= next_permit <= after + 1000, "the next permit is one interval after the one granted"
    assert told_to_come_at(next_permit, asked(redis, throttle.acquire)), "no burst: the next sender waits for it"
    assert scheduled(redis, "tat") == next_permit, "a sender told to wait takes no permit"


def test_an_urgent_sender_keeps_ordinary_ones_out_until_it_got_its_permit(redis):
    throttle = Throttle(redis, 60)
    assert throttle.acquire() == 0
    next_permit = scheduled(redis, "tat")
    urgent = asked(redis, lambda: throttle.acquire(urgent=True))
    assert urgent[0] > 0 and told_to_come_at(next_permit, urgent), "the urgent sender waits for the next permit"
    assert told_to_come_at(next_permit + 1000, asked(redis, throttle.acquire)), (
        "an ordinary sender is told to come back one interval past the urgent one's permit"
    )


def test_turns_are_handed_out_one_interval_apart_and_newcomers_queue_behind_them(redis):
    throttle = Throttle(redis, 60)
    assert throttle.acquire() == 0
    next_permit = scheduled(redis, "tat")
    for number in range(3):
        assert told_to_come_at(next_permit + number * 1000, asked(redis, throttle.turn)), f"turn {number + 1}"
    assert scheduled(redis, "tail") == next_permit + 2000
    assert told_to_come_at(next_permit + 3000, asked(redis, throttle.acquire)), (
        "a sender without a turn waits behind every deferred one"
    )
    assert told_to_come_at(next_permit, asked(redis, lambda: throttle.acquire(urgent=True))), (
        "an urgent one does not: it waits only for the next permit"
    )


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


@frozen_at(MONDAY_MORNING)
def test_over_the_limit_a_message_waits_its_turn_queued_and_never_fails(app, redis, drain, use_smsgate):
    """The throttle is on the service's clock, which stands still here (time-machine): the turns are exact."""
    app.config["SMSGATE_MAX_PER_MINUTE"] = 2  # one permit every 30 s
    first, second, third = queue_texts(PHONES[:3])
    drain()
    assert len(use_smsgate.sent) == 1 and Message.get_by_id(first).status == "sent"
    waiting = sorted((Message.get_by_id(i) for i in (second, third)), key=lambda m: m.next_attempt_at)
    assert [(m.status, m.attempts, m.last_error) for m in waiting] == [("queued", 0, None)] * 2
    now_ms = int(MONDAY_MORNING.timestamp() * 1000)
    assert [scheduled(redis, "tat"), scheduled(redis, "tail")] == [now_ms + 30_000, now_ms + 60_000], (
        "the first turn is the permit after the one just used, the next one an interval later"
    )
    registry = ScheduledJobRegistry(queue=queue(SMS_QUEUE, redis))
    for message, seconds in zip(waiting, (30, 60)):
        assert message.next_attempt_at == stored(MONDAY_MORNING) + dt.timedelta(seconds=seconds)
        job_id = turn_job_id(message.id, 0, message.next_attempt_at)
        assert registry.get_scheduled_time(job_id).replace(tzinfo=None) == message.next_attempt_at, (
            "its job is scheduled for its turn"
        )


def test_the_sweep_does_not_duplicate_a_message_that_waits_for_its_turn(app, redis, drain, use_smsgate):
    app.config["SMSGATE_MAX_PER_MINUTE"] = 2
    queue_texts(PHONES[:2])
    drain()
    [waiting] = Message.select().where(Message.status == "queued")
    assert fire_due_sends(waiting.next_attempt_at) == 0, "its turn's job is live"


def test_an_alert_queued_last_goes_first(app, redis, drain, use_smsgate):
    Staff.create(phone=STAFF, name="Siti Pengurus", role="organizer", village="Tracap")  # alerts go to staff only
    queue_texts(PHONES[:20])
    [alert] = queue_texts([STAFF], purpose="alert", text="KASUS BARU K7Q4")
    assert queue(SMS_URGENT_QUEUE, redis).count == 1
    drain()
    assert use_smsgate.sent[0].id == f"km-{alert}", "the urgent queue is worked first"
    assert len(use_smsgate.sent) == 21 and {m.status for m in Message.select()} == {"sent"}


@frozen_at(MONDAY_MORNING)
def test_an_accepted_send_is_kept_as_the_phones_last_send(app, redis, drain, use_smsgate):
    from workers.gateways.phone_status import last_send

    assert last_send(redis) is None
    queue_texts(PHONES[:1])
    drain()
    assert last_send(redis) == stored(MONDAY_MORNING)
