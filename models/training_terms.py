"""A training's vocabulary and calendar: kinds, statuses, codes, and when its reminder and follow-ups fall."""

from __future__ import annotations

import datetime as dt
import re

from models.settings import to_local, to_utc

KINDS = ("education", "economic")
"""Safe-migration education, or economic empowerment (goats and laying hens, coffee, savings groups…)."""

SEATED = ("signed_up", "attended", "absent")
"""Enrollments that hold a seat (the capacity counts these)."""
STILL_COMING = ("signed_up", "waitlisted")
"""Enrollments told of a cancellation or a move (those who still expect the training)."""

ANSWERS = ("applied", "not_yet", "help")
"""A follow-up answer: 1 sudah (applied), 2 belum (not yet), 3 butuh bantuan (needs help)."""

FOLLOWUP_DAYS = (30, 90)
"""Follow-ups go this many days after the training start (DESIGN "Time")."""
FOLLOWUP_TIME = dt.time(9, 0)
REMINDER_TIME = dt.time(7, 0)
"""The reminder goes at this local time the day before the start."""

STEP_KINDS = ("reminder", *(f"followup{days}" for days in FOLLOWUP_DAYS))
"""The scheduled steps of every training."""

CODE_PATTERN = re.compile(r"^[A-Z0-9]{3,10}$")
TITLE_MAX, PLACE_MAX = 40, 30
"""Short enough that a confirmation with code, title, date and place fits one SMS."""


class TrainingError(ValueError):
    """A training change that cannot be made; `key` is the catalog text (SMS), the message says why (CLI), and
    `field` names the value at fault when one is (`starts`, `capacity`, `code`…; None: the training's state)."""

    def __init__(self, key: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.key, self.field = key, field


def step_due(kind: str, starts_at: dt.datetime) -> dt.datetime:
    """When a step of a training starting at `starts_at` (naive UTC) is due, as naive UTC."""
    local_start = to_local(starts_at)
    if kind == "reminder":
        day, clock = local_start.date() - dt.timedelta(days=1), REMINDER_TIME
    else:
        day, clock = local_start.date() + dt.timedelta(days=followup_days(kind)), FOLLOWUP_TIME
    return to_utc(dt.datetime.combine(day, clock))


def followup_days(kind: str) -> int:
    """30 for `followup30`, 90 for `followup90`."""
    return int(kind.removeprefix("followup"))


def local_label(starts_at: dt.datetime) -> str:
    """The start as villagers read it in an SMS: `12/12 08:00` (local time)."""
    return to_local(starts_at).strftime("%d/%m %H:%M")
