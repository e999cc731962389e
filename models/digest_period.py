"""A digest's period: the last complete Monday-Sunday week or calendar month, in local time, as UTC bounds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.settings import to_local, to_utc

PERIOD_KINDS = ("week", "month")


@dataclass(frozen=True)
class Period:
    """[first, last] local days of a digest; `start`/`end` are the naive UTC bounds [start, end)."""

    kind: str
    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        """Local midnight opening the first day, as naive UTC."""
        return to_utc(dt.datetime.combine(self.first, dt.time()))

    @property
    def end(self) -> dt.datetime:
        """Local midnight after the last day, as naive UTC."""
        return to_utc(dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time()))

    @property
    def label(self) -> str:
        """`16-22/11` for a week (`28/12-3/1` across months), `11/2026` for a month."""
        if self.kind == "month":
            return f"{self.first.month}/{self.first.year}"
        if self.first.month == self.last.month:
            return f"{self.first.day}-{self.last.day}/{self.last.month}"
        return f"{self.first.day}/{self.first.month}-{self.last.day}/{self.last.month}"


def last_complete(kind: str, now: dt.datetime) -> Period:
    """The last complete week (Monday-Sunday) or calendar month before naive UTC `now`, in local time."""
    today = to_local(now).date()
    if kind == "week":
        this_monday = today - dt.timedelta(days=today.weekday())
        return Period("week", this_monday - dt.timedelta(days=7), this_monday - dt.timedelta(days=1))
    if kind == "month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return Period("month", last.replace(day=1), last)
    raise ValueError(f"period must be one of {', '.join(PERIOD_KINDS)}, not {kind!r}")
