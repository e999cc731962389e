"""Which phone of the pool sends a message: the one the person wrote to, the operator's own when it is free, the
least loaded; staff alerts on the first free phone."""

from __future__ import annotations

from models import Message, Staff
from tests.pool.conftest import INDOSAT, TELKOMSEL, XL, numbers, queue_texts, run_until_done
from tests.support.outbox import outbox
from tests.support.texts import text

WORKER = "+6281234567301"  # a Telkomsel number


def test_a_conversation_started_on_phone_b_is_answered_from_b(app, pool, drain):
    pool.sms("b", WORKER, "BANTUAN")
    assert drain()
    [reply] = outbox(WORKER)
    assert reply.text.startswith(text("sms.help")[:20]) and reply.status == "sent"
    assert pool.phone_of(reply.id) == ["b"], "answered from the number the person wrote to, not the Telkomsel phone"
    inbound = Message.get((Message.direction == "in") & (Message.phone == WORKER))
    assert inbound.pool_phone == "b" and reply.pool_phone == "b"

    pool.sms("b", WORKER, "INFO")
    drain()
    assert [pool.phone_of(m.id) for m in outbox(WORKER)] == [["b"], ["b"]], "the whole conversation stays on b"
    pool.sms("a", WORKER, "STATUS")
    drain()
    assert pool.phone_of(outbox(WORKER)[-1].id) == ["a"], "they wrote to a last: a answers"


def test_news_to_someone_who_wrote_goes_from_the_phone_they_wrote_to(app, pool, drain, clock):  # not in quiet hours
    pool.sms("a", WORKER, "BANTUAN")
    drain()
    [news] = queue_texts([WORKER], purpose="broadcast")
    drain()
    assert pool.phone_of(news) == ["a"]


def test_each_operators_number_goes_from_its_operators_phone_when_it_is_idle(app, pool, drain):
    telkomsel, indosat, xl = numbers(TELKOMSEL, 3), numbers(INDOSAT, 3), numbers(XL, 3)
    ids = queue_texts(telkomsel + indosat + xl)
    drain()
    assert [pool.phone_of(i) for i in ids] == [["c"]] * 3 + [["a"]] * 3 + [["b"]] * 3
    assert {m.pool_phone for m in outbox(telkomsel[0])} == {"c"}


def test_the_operators_phone_is_taken_only_while_it_is_free(app, pool, drain, redis_connection, clock):
    for name in "abc":
        pool.change(name, max_per_minute=20)  # one permit every 3 s
    ids = queue_texts(numbers(TELKOMSEL, 30))
    drain()
    assert pool.sent_by("c") == [f"km-{ids[0]}"], "the first goes at once through the Telkomsel phone"
    assert pool.sent_by("a") == [f"km-{ids[11]}"], "the twelfth would wait 33 s there: an idle phone takes it"
    run_until_done(drain, redis_connection, clock)
    assert [len(pool.phone_of(i)) for i in ids] == [1] * 30, "every message went out once"
    counts = {name: len(pool.sent_by(name)) for name in "abc"}
    assert counts["c"] > max(counts["a"], counts["b"]) and min(counts["a"], counts["b"]) >= 1, counts
    assert counts["c"] - max(counts["a"], counts["b"]) <= 11, "c's backlog stays within 30 s of the others'"
    assert {m.status for m in outbox()} == {"sent"}


def test_a_number_on_no_phones_operator_goes_through_the_least_loaded(app, pool, drain, clock):
    pool.change("a", max_per_minute=20)
    pool.change("b", max_per_minute=20)
    pool.change("c", max_per_minute=20)
    smartfren = numbers("+62881", 3)
    ids = queue_texts(smartfren)
    drain()
    assert sorted(name for i in ids for name in pool.phone_of(i)) == ["a", "b", "c"], "one each: the least loaded"


def test_a_staff_alert_takes_the_first_free_phone_before_waiting_messages(app, pool, drain, redis_connection, clock):
    staff = "+6285600000001"  # an Indosat number: phone a's operator
    Staff.create(phone=staff, name="Siti Pengurus", role="organizer", village="Tracap")
    for name in "abc":
        pool.change(name, max_per_minute=20)
    queue_texts(numbers(INDOSAT, 6) + numbers(XL, 6) + numbers(TELKOMSEL, 6))
    drain()
    clock.shift(3)  # each phone's next permit: the replies' turns and the alert come at once
    [alert] = queue_texts([staff], purpose="alert", text="KASUS BARU K7Q4 (mendesak): balas TERIMA K7Q4")
    run_until_done(drain, redis_connection, clock)
    assert Message.get_by_id(alert).status == "sent"
    [phone] = pool.phone_of(alert)
    assert pool.sent_by(phone).index(f"km-{alert}") == 1, "the alert took its phone's next permit, before the replies"
    went = [sms.id for fake in pool.fakes.values() for sms in fake.sent]
    assert len(went) == 19 and len(set(went)) == 19
