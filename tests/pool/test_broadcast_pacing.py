"""A broadcast through the phones is written a minute's sending at a time: every SMS written takes its turn at the
phone, so a person's reply never waits behind a whole announcement, only behind its next minute."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from models import Message
from models.broadcast import Broadcast
from tests.pool.conftest import run_until_done
from tests.support.broadcasts import ID_TEXT, many_people
from tests.support.outbox import outbox
from tests.support.texts import text

WORKER = "+6281234567301"


def test_a_reply_waits_at_most_a_minute_behind_a_broadcast_and_the_broadcast_still_goes_once(
    app, pool, drain, runner, redis_connection, clock
):
    pool.only("a")
    pool.change("a", max_per_minute=20)  # one permit every 3 s
    many_people(100)
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert runner.invoke(args=["broadcast", "send", "--text", ID_TEXT]).exit_code == 0
    drain()
    assert len(outbox(purpose="broadcast")) == 20, "one minute of the phone's sending, not the whole broadcast"
    resume_at = Broadcast.get().resume_at
    assert started + dt.timedelta(seconds=60) <= resume_at <= started + dt.timedelta(seconds=61)

    pool.sms("a", WORKER, "BANTUAN")
    drain()
    [reply] = outbox(WORKER)
    assert reply.text.startswith(text("sms.help")[:20])
    waits = (reply.next_attempt_at or started) - started if reply.status == "queued" else dt.timedelta(0)
    assert waits <= dt.timedelta(seconds=63), f"the reply's turn is behind one minute of the broadcast, not {waits}"

    run_until_done(drain, redis_connection, clock)
    assert Counter(m.status for m in outbox(purpose="broadcast")) == {"sent": 100}
    assert outbox(WORKER)[0].status == "sent"
    sent = pool.sent_by("a")
    assert len(sent) == len(set(sent)) == 101, "each SMS once, through the one phone"
    assert Broadcast.get().state == "done"
    assert Message.select().where(Message.purpose == "broadcast").count() == 100
