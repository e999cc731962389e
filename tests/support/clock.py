"""The service's clock in tests: Jakarta time (the service's TIMEZONE), one quiet weekday morning to stand still at,
and the naive UTC the database stores for a moment."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY_MORNING = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
"""A Monday at 10:00 WIB: outside quiet hours, no digest or reminder due."""


def stored(moment: dt.datetime) -> dt.datetime:
    """The naive UTC timestamp the database keeps for an aware `moment` (what `models.utcnow()` gives then)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def frozen_at(moment: dt.datetime = MONDAY_MORNING) -> time_machine.travel:
    """Stand the clock still at `moment` (use as a context manager or decorator)."""
    return time_machine.travel(moment, tick=False)


def parse_instant(text: str) -> dt.datetime:
    """An instant written as ISO date and time with its UTC offset ('2026-12-06 23:30+07:00'); ValueError if it
    is not one (an instant without an offset would mean the host's timezone, which the suite must not depend on)."""
    moment = dt.datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset (write e.g. '2026-12-06 23:30+07:00')")
    return moment
