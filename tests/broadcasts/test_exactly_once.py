"""A broadcast goes once to each recipient whatever happens to workers or Redis: a real `flask worker` killed
midway (SIGKILL) and a new one started later, and Redis losing every job, leave nobody without their SMS and
nobody with two."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import psutil
import time_machine

from models import Message, database
from models.broadcast import Broadcast, BroadcastRecipient
from tests.support.broadcasts import ID_TEXT, many_people
from tests.support.clock import JAKARTA, frozen_at
from tests.support.outbox import outbox
from tests.support.settings import TOKEN
from workers.sweep import sweep

KILL_AFTER = 200
"""Recipients written before the worker is killed (of 900: well before it is done; 900 fits the broadcasts' share
of the default SMS_DAILY_LIMIT)."""


def daytime_zone() -> str:
    """An `Etc/GMT` zone in which it is about noon now (the subprocess worker runs on the real clock)."""
    offset = max(-12, min(14, 12 - dt.datetime.now(dt.UTC).hour))
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def written() -> int:
    database.close()  # see the other process's commits
    return BroadcastRecipient.select().where(BroadcastRecipient.written_at.is_null(False)).count()


def test_a_worker_killed_midway_and_restarted_sends_nothing_twice(app, runner, drain, base_config):
    phones = many_people(900)
    result = runner.invoke(args=["broadcast", "send", "--text", ID_TEXT])
    assert result.exit_code == 0, result.output
    database.close()
    env = {
        **os.environ,
        "DATABASE_URL": base_config["DATABASE_URL"],
        "REDIS_URL": base_config["REDIS_URL"],
        "SMS_BACKEND": "outbox",
        "WEBHOOK_TOKEN": TOKEN,
        "TIMEZONE": daytime_zone(),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "service", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while written() < KILL_AFTER and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.01)
    finally:  # the worker and the job it was running (RQ's work horse, in a session of its own), at once
        parent = psutil.Process(worker.pid)
        parent.send_signal(signal.SIGSTOP)  # forks no new horse while its children are found
        for process in [*parent.children(recursive=True), parent]:
            process.send_signal(signal.SIGKILL)
        worker.wait(10)
    at_kill = written()
    assert KILL_AFTER <= at_kill < len(phones), at_kill

    # the next morning a new worker starts (its clean-up finds the killed one's jobs abandoned), the sweep runs
    tomorrow = dt.datetime.now(JAKARTA).date() + dt.timedelta(days=1)
    with time_machine.travel(dt.datetime.combine(tomorrow, dt.time(10, 0), tzinfo=JAKARTA), tick=False):
        drain()
        sweep()
        drain()
    sent = outbox(purpose="broadcast")
    assert Counter(m.phone for m in sent) == dict.fromkeys(phones, 1)
    assert {m.status for m in sent} == {"sent"}
    assert Broadcast.get().state == "done"


def test_redis_losing_every_job_delays_the_broadcast_and_loses_nothing(app, runner, drain):
    phones = many_people(250)
    with frozen_at():
        runner.invoke(args=["broadcast", "send", "--text", ID_TEXT])
        app.extensions["redis"].flushdb()  # Redis restarted empty: the broadcast's job is gone
        drain()
        assert outbox() == []
        sweep()  # re-fires the sending broadcast's run
        drain()
    assert Counter(m.phone for m in outbox(purpose="broadcast")) == dict.fromkeys(phones, 1)
    assert Broadcast.get().state == "done"
    assert Message.select().where(Message.status != "sent").count() == 0
