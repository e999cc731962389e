"""A phone that stops answering drops out of rotation: its messages go through the others exactly once (one it may
hold is looked up on it first), the coordinators are told once, and a ping brings it back."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Message
from tests.pool.conftest import INDOSAT, URL, numbers, queue_texts, run_until_done
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR
from tests.support.texts import text
from workers.sweep import sweep


def notices(key: str, **params: str) -> list[Message]:
    """The coordinator's SMS with the catalog text `key`."""
    return [m for m in outbox(COORDINATOR) if m.text == text(key, **params)]


def notices_id() -> int:
    """The id of the one SMS the coordinator got."""
    [notice] = outbox(COORDINATOR)
    return notice.id


def went_once_each(pool, ids: list[int]) -> bool:
    """Every message was taken by exactly one phone, once."""
    return all(len(pool.phone_of(i)) == 1 for i in ids) and all(
        len(fake.sent) == len({sms.id for sms in fake.sent}) for fake in pool.fakes.values()
    )


@pytest.fixture
def a_and_b(pool, case_staff):
    """Phones a (Indosat's numbers) and b; a answers slowly enough to time out at 0.5 s when scripted to."""
    pool.only("a", "b")
    pool.change("a", timeout=0.5)
    return pool


def test_phone_a_stops_answering_mid_batch_and_every_message_goes_out_once_through_b(app, a_and_b, drain, clock):
    pool, a = a_and_b, a_and_b.fakes["a"]
    ids = queue_texts(numbers(INDOSAT, 10))  # Indosat: phone a's own operator
    for _ in range(3):
        a.fail_next(delay=0.01)  # accepted, answered at once
    a.fail_next(delay=1.5)  # the fourth: taken by the phone, its answer lost (a timeout)
    for _ in range(20):
        a.device_offline()  # then the relay says the phone is offline
    drain()

    assert pool.sent_by("a") == [f"km-{i}" for i in ids[:4]], "the phone took four, the fourth without answering"
    assert sorted(pool.sent_by("b")) == sorted([f"km-{i}" for i in ids[4:]] + [f"km-{notices_id()}"])
    assert went_once_each(pool, ids), "no message went out twice"
    assert {m.status for m in outbox() if m.id in ids} == {"sent"}
    fourth = Message.get_by_id(ids[3])
    assert (fourth.pool_phone, fourth.provider_id, fourth.attempts) == ("a", f"km-{ids[3]}", 2), (
        "the message a may have sent was looked up on a and found there, not resent through b"
    )
    assert [r.path for r in a.requests if r.method == "GET"] == [f"/messages/km-{ids[3]}"]
    posts_to_a = [r for r in a.requests if r.method == "POST"]
    assert len(posts_to_a) == 6, "three taken, one lost answer, two offline: then a is out and asked no more"
    [told] = notices("pool.phone_out.failing", phone="a")
    assert told.status == "sent" and pool.phone_of(told.id) == ["b"], "the coordinator hears of it through b"


def test_a_pings_again_and_is_used_again_and_the_coordinators_are_told_once_each_way(app, a_and_b, drain, clock):
    pool, a = a_and_b, a_and_b.fakes["a"]
    for _ in range(3):
        a.device_offline()
    first = queue_texts(numbers(INDOSAT, 5))
    drain()
    assert not pool.sent_by("a") and went_once_each(pool, first)
    assert len(notices("pool.phone_out.failing", phone="a")) == 1

    later = queue_texts(numbers(INDOSAT, 3, first=100))
    drain()
    assert [pool.phone_of(i) for i in later] == [["b"]] * 3, "while a is out, its operator's numbers go through b"

    pool.ping("a")
    pool.ping("a")
    drain()
    back = queue_texts(numbers(INDOSAT, 3, first=200))
    drain()
    assert [pool.phone_of(i) for i in back] == [["a"]] * 3, "a pinged: it is back in rotation"
    assert len(notices("pool.phone_out.failing", phone="a")) == 1, "told once that it dropped"
    [returned] = notices("pool.phone_back", phone="a")
    assert returned.status == "sent", "and once that it is back"


def test_a_message_the_silent_phone_may_hold_waits_for_it_and_is_not_sent_twice(
    app, a_and_b, drain, redis_connection, clock
):
    pool, a = a_and_b, a_and_b.fakes["a"]
    app.config["SMS_RETRY_DELAYS"] = [30.0, 120.0, 600.0]
    a.fail_next(delay=1.5)  # taken by a, the answer lost
    [message_id] = queue_texts(numbers(INDOSAT, 1))
    drain()
    a.stop()  # and then a is gone: nothing answers there
    try:
        clock.shift(31)
        drain()  # the retry: b is free, but a may hold the message and cannot say
        message = Message.get_by_id(message_id)
        assert message.status == "queued" and "may have gone through phone a" in message.last_error
        assert not pool.sent_by("b"), "not sent through b while a may have sent it"
    finally:
        a.start()
    pool.change("a", url=a.url)
    run_until_done(drain, redis_connection, clock)
    message = Message.get_by_id(message_id)
    assert (message.status, message.pool_phone) == ("sent", "a"), "a answered: it had sent it"
    assert pool.phone_of(message_id) == ["a"] and not pool.sent_by("b")


def test_a_silent_phone_drops_out_its_waiting_messages_move_and_it_returns_with_a_ping(
    app, pool, drain, redis_connection, clock, case_staff
):
    for name in "abc":
        pool.ping(name)
        pool.change(name, max_per_minute=20)
    ids = queue_texts(numbers(INDOSAT, 8))
    drain()
    waiting_on_a = [m.id for m in Message.select().where((Message.status == "queued") & (Message.pool_phone == "a"))]
    assert waiting_on_a, "a's operator's numbers wait for their turns on a"
    clock.shift(dt.timedelta(minutes=16))
    for name in "bc":
        pool.ping(name)
    sweep()  # a has not pinged for 16 minutes
    assert len(notices("pool.phone_out.silent", phone="a")) == 1
    run_until_done(drain, redis_connection, clock)
    assert went_once_each(pool, ids) and {m.status for m in outbox() if m.id in ids} == {"sent"}
    assert all(pool.phone_of(i) != ["a"] for i in waiting_on_a), "what waited on a went through b and c"
    pool.ping("a")
    [returned] = notices("pool.phone_back", phone="a")
    [again] = queue_texts(numbers(INDOSAT, 1, first=500))
    run_until_done(drain, redis_connection, clock)
    assert pool.phone_of(again) == ["a"] and Message.get_by_id(returned.id).status == "sent"


def test_a_phone_whose_pings_are_off_is_tried_again_after_a_quarter_hour(app, a_and_b, drain, clock):
    pool, a = a_and_b, a_and_b.fakes["a"]
    for _ in range(3):
        a.device_offline()
    queue_texts(numbers(INDOSAT, 3))
    drain()
    assert len(notices("pool.phone_out.failing", phone="a")) == 1
    clock.shift(dt.timedelta(minutes=10))
    [still_b] = queue_texts(numbers(INDOSAT, 1, first=100))
    drain()
    assert pool.phone_of(still_b) == ["b"], "a stays out for a quarter of an hour after its last failure"
    clock.shift(dt.timedelta(minutes=6))
    a.device_offline()  # tried again: still offline
    [tried] = queue_texts(numbers(INDOSAT, 1, first=200))
    drain()
    assert pool.phone_of(tried) == ["b"] and len(notices("pool.phone_out.failing", phone="a")) == 1, (
        "one more failure: out again, and nobody is told twice"
    )
    clock.shift(dt.timedelta(minutes=16))
    [back] = queue_texts(numbers(INDOSAT, 1, first=300))
    drain()
    assert pool.phone_of(back) == ["a"], "tried again, and it went: a is back"
    assert len(notices("pool.phone_back", phone="a")) == 1
    [next_one] = queue_texts(numbers(INDOSAT, 1, first=400))
    drain()
    assert pool.phone_of(next_one) == ["a"]


def test_a_sim_out_of_credit_drops_out_on_its_failed_sends(app, a_and_b, drain, clock):
    pool, a = a_and_b, a_and_b.fakes["a"]
    first = queue_texts(numbers(INDOSAT, 3))
    drain()
    assert pool.sent_by("a") == [f"km-{i}" for i in first], "the app takes them: the SIM fails them later"
    for message_id in first:
        payload = a.status_payload("sms:failed", f"km-{message_id}", numbers(INDOSAT, 3)[0], "RESULT_ERROR_GENERIC")
        assert pool.post("a", "sms:failed", payload).status_code == 200
    drain()
    assert {Message.get_by_id(i).status for i in first} == {"failed"}
    assert len(notices("pool.phone_out.failing", phone="a")) == 1
    later = queue_texts(numbers(INDOSAT, 2, first=100))
    drain()
    assert [pool.phone_of(i) for i in later] == [["b"], ["b"]]


def test_a_return_the_database_could_not_take_is_told_on_the_next_ping(app, a_and_b, drain, clock):
    from models import bind_database, database

    pool, a = a_and_b, a_and_b.fakes["a"]
    for _ in range(3):
        a.device_offline()
    queue_texts(numbers(INDOSAT, 3))
    drain()
    assert len(notices("pool.phone_out.failing", phone="a")) == 1
    database.close()
    bind_database("sqlite:////nonexistent-kawalmigran/no/such/dir/down.db")
    try:
        body, headers = a.event("system:ping", a.ping_payload())
        assert pool.client.post(URL, data=body, headers=headers).status_code == 503, "the app posts it again"
    finally:
        bind_database(app.config["DATABASE_URL"])
    assert not notices("pool.phone_back", phone="a")
    pool.ping("a")
    pool.ping("a")
    assert len(notices("pool.phone_back", phone="a")) == 1, "told on the next ping, once"
