"""A digest's period: the last complete Monday-Sunday week or calendar month, in local time, as UTC bounds; and any
other run of days (the console's figures), checked as typed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.settings import to_local, to_utc

PERIOD_KINDS = ("week", "month")
RANGE = "range"
"""The kind of a period that is any run of days (`between`), not a digest's week or month."""
MAX_DAYS = 3 * 366
"""The longest run of days a period may span (three years: a chart of 36 months stays readable)."""


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
        """`16-22/11` for a week (`28/12-3/1` across months), `11/2026` for a month, `01/01/2026-02/12/2026` for any
        other run of days."""
        if self.kind == "month":
            return f"{self.first.month}/{self.first.year}"
        if self.kind == RANGE:
            return f"{self.first:%d/%m/%Y}-{self.last:%d/%m/%Y}"
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


class PeriodError(ValueError):
    """Days that make no period; `field` is the one at fault (`from` or `to`), `key` the console text saying why."""

    def __init__(self, field: str, key: str, message: str) -> None:
        super().__init__(message)
        self.field, self.key = field, key


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
"""How a day may be typed: what a browser's date field sends (2026-11-30), or as people write it (30/11/2026)."""


def parse_day(typed: str, field: str) -> dt.date:
    """The day `typed` names; PeriodError naming `field` if it names none."""
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(typed.strip(), pattern).date()
        except ValueError:
            continue
    raise PeriodError(field, "console.figures.error.date", f"{field}: {typed[:20]!r} is not a date (YYYY-MM-DD)")


def between(first: dt.date, last: dt.date, now: dt.datetime) -> Period:
    """The local days `first` to `last`, both included; PeriodError when they are out of order, reach past today
    (naive UTC `now`, local) or span more than MAX_DAYS."""
    if last < first:
        raise PeriodError("to", "console.figures.error.order", f"to ({last}) is before from ({first})")
    if last > to_local(now).date():
        raise PeriodError("to", "console.figures.error.future", f"to ({last}) is after today")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("from", "console.figures.error.too_long", f"more than {MAX_DAYS} days")
    return Period(RANGE, first, last)


def this_year(now: dt.datetime) -> Period:
    """From the 1st of January of the local year to today."""
    today = to_local(now).date()
    return Period(RANGE, today.replace(month=1, day=1), today)
