"""Each phone's own daily limit, to the message, and its own throttle: what one phone may not send goes through the
others, or waits for the next day when none has room."""

from __future__ import annotations

import datetime as dt

from models import Message
from tests.pool.conftest import INDOSAT, next_job_at, numbers, queue_texts, run_until_done
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR
from tests.support.texts import text
from workers.sms_jobs import ALL_PHONES_FULL
from workers.sweep import sweep


def test_a_phones_daily_limit_is_respected_to_the_message(app, pool, drain, clock, case_staff):
    pool.only("a", "b")
    pool.change("a", daily_limit=5)
    ids = queue_texts(numbers(INDOSAT, 8))  # all on phone a's operator
    drain()
    assert len(pool.sent_by("a")) == 5, "five, the limit, and not one more"
    assert all(len(pool.phone_of(i)) == 1 for i in ids) and {m.status for m in outbox() if m.id in ids} == {"sent"}
    assert len([ref for ref in pool.sent_by("b") if int(ref[3:]) in ids]) == 3
    told = [m for m in outbox(COORDINATOR) if m.text == text("pool.phone_out.full", phone="a", limit="5")]
    assert len(told) == 1 and pool.phone_of(told[0].id) == ["b"]

    more = queue_texts(numbers(INDOSAT, 2, first=100))
    drain()
    assert len(pool.sent_by("a")) == 5 and all(pool.phone_of(i) == ["b"] for i in more)

    clock.move_to(dt.datetime(2026, 12, 1, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    sweep()
    [tomorrow] = queue_texts(numbers(INDOSAT, 1, first=200))
    drain()
    assert pool.phone_of(tomorrow) == ["a"], "a new day: a takes its operator's numbers again"
    assert not [m for m in outbox(COORDINATOR) if m.text == text("pool.phone_back", phone="a")], (
        "a phone back with the day is not news at midnight"
    )


def test_with_every_phone_at_its_limit_messages_wait_for_the_next_day(app, pool, drain, redis_connection, clock):
    pool.only("a")  # one phone: no pool, but its daily limit holds all the same
    pool.change("a", daily_limit=2)
    ids = queue_texts(numbers(INDOSAT, 3))
    drain()
    assert len(pool.sent_by("a")) == 2
    waiting = Message.get_by_id(ids[2])
    assert (waiting.status, waiting.last_error) == ("queued", ALL_PHONES_FULL)
    next_day = dt.datetime(2026, 12, 1, 0, 0)  # Jakarta midnight is 17:00 UTC the day before
    assert waiting.next_attempt_at == next_day - dt.timedelta(hours=7)
    run_until_done(drain, redis_connection, clock, limit=dt.timedelta(days=1))
    assert Message.get_by_id(ids[2]).status == "sent" and len(pool.sent_by("a")) == 3


def test_each_phone_keeps_its_own_rate(app, pool, drain, redis_connection, clock):
    pool.change("a", max_per_minute=20)
    pool.change("b", max_per_minute=10)
    pool.change("c", max_per_minute=30)
    start = dt.datetime.now(dt.UTC)
    stamps: dict[str, list[float]] = {name: [] for name in "abc"}
    ids = queue_texts(numbers("+62881", 60))  # on no phone's operator: spread by load
    drain()
    while True:
        now = (dt.datetime.now(dt.UTC) - start).total_seconds()
        for name in "abc":
            stamps[name] += [now] * (len(pool.sent_by(name)) - len(stamps[name]))
        at = next_job_at(redis_connection)
        if at is None:
            break
        clock.move_to(at)
        drain()
    assert all(len(pool.phone_of(i)) == 1 for i in ids)
    for name, per_minute in (("a", 20), ("b", 10), ("c", 30)):
        gaps = [later - earlier for earlier, later in zip(stamps[name], stamps[name][1:])]
        assert min(gaps) >= 60 / per_minute - 0.001, f"phone {name} sends one every {60 / per_minute:g} s at most"
    counts = {name: len(pool.sent_by(name)) for name in "abc"}
    assert counts["c"] > counts["a"] > counts["b"], f"the faster a phone, the more it takes: {counts}"


def test_the_rate_a_broadcast_is_estimated_with_is_the_pools_in_rotation(app, pool, drain, clock):
    from workers.throttle import sends_per_minute

    for name, rate in (("a", 20), ("b", 20), ("c", 30)):
        pool.change(name, max_per_minute=rate)
    assert sends_per_minute(app.config) == 70, "the phones' rates together"
    pool.change("a", daily_limit=1)
    queue_texts(numbers(INDOSAT, 1))
    drain()
    assert sends_per_minute(app.config) == 50, "a phone at its daily limit sends no more today"
    pool.only("b")
    assert sends_per_minute(app.config) == 20
    app.config["SMS_BACKEND"] = "outbox"
    assert sends_per_minute(app.config) is None


def test_one_phone_configured_the_old_way_keeps_its_daily_limit_too(app, use_smsgate, drain, clock):
    app.config["SMSGATE_DAILY_LIMIT"] = 2
    ids = queue_texts(numbers(INDOSAT, 3))
    drain()
    assert [sms.id for sms in use_smsgate.sent] == [f"km-{i}" for i in ids[:2]]
    assert Message.get_by_id(ids[2]).last_error == ALL_PHONES_FULL
