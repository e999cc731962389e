"""A trainee who answered the 30-day follow-up with 3 ("butuh bantuan"), as the task tests start from: the coffee
training of 1 December, attended, followed up on 9 January 09:00 (Jakarta)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from menus.features.trainings.jobs import training_specs
from models import Training, database
from models.jobs import enqueue_after_commit
from models.settings import to_utc
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import ORGANIZER

JAKARTA = ZoneInfo("Asia/Jakarta")
ADDED = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
STARTS = dt.datetime(2026, 12, 10, 8, 0)
ATTENDED = dt.datetime(2026, 12, 10, 12, 0, tzinfo=JAKARTA)
FOLLOWUP_30 = dt.datetime(2027, 1, 9, 9, 0, tzinfo=JAKARTA)
TRAINEE = "+6281234567301"


def at(moment: dt.datetime) -> time_machine.travel:
    """Pin the clock at `moment` (no ticking)."""
    return time_machine.travel(moment, tick=False)


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def attended_training(send_sms, village: str = "Tracap") -> Training:
    """KOPI1, added on 1 December; TRAINEE (of `village`) signed up by SMS and was marked present on the day."""
    with at(ADDED):
        with database.atomic():
            added = Training.add("KOPI1", "Budidaya kopi", "economic", to_utc(STARTS), "Balai Desa Tracap", 20)
        enqueue_after_commit(training_specs(added))
        register(TRAINEE, village=village)
        Phone(send_sms, TRAINEE).say("LATIH KOPI1")
    with at(ATTENDED):
        Phone(send_sms, ORGANIZER).say(f"HADIR KOPI1 {TRAINEE}")
    return Training.get_by_id(added.id)


def asks_for_help(send_sms, drain, runner, answer: str = "3") -> str | None:
    """The 30-day follow-up reaches the trainee, who answers `answer` ("3 butuh bantuan" by default); their reply."""
    with at(FOLLOWUP_30):
        settle(drain, runner)
        return Phone(send_sms, TRAINEE).say(answer)
