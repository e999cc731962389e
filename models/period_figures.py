"""The figures of any period for one scope, broken down for charts (the console's `/console/figures`).

Built on the digest's own queries (`models.digest_figures`): the totals are `compute`'s, for the same period and
scope, so the page and `export digest` cannot disagree; the breakdowns are the same statements grouped once more
(reports by month with `report_rows`, the training funnel from `training_rows` through `compute`, villages from
`compute`'s per-village scopes). Only the time to the first action has no digest counterpart. Numbers only: no
name, phone number, code or story.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import peewee

from models.base import database
from models.case import Case
from models.case_terms import CATEGORIES
from models.digest_figures import ALL, Figures, compute, report_rows
from models.digest_period import Period
from models.settings import to_utc

DAYS_UP_TO, WEEKS_UP_TO = 31, 92
"""A period of up to 31 days is charted by day, up to 92 by week (Monday first), longer ones by month."""

DELAY_CLASSES = (15, 60, 4 * 60, 24 * 60, 3 * 24 * 60)
"""Upper bounds, in minutes, of the classes of the time to the first action (the last class is everything over
three days)."""


@dataclass(frozen=True)
class Step:
    """One bar of a chart over time: local days [first, last] and how it is labelled."""

    first: dt.date
    last: dt.date
    label: str


@dataclass
class Delays:
    """The time from a report to its first action (taken or referred), of the cases opened in one step or period."""

    taken: int = 0
    waiting: int = 0
    """Cases opened then that nobody has taken yet."""
    median_minutes: float | None = None
    p90_minutes: float | None = None
    classes: list[int] = field(default_factory=lambda: [0] * (len(DELAY_CLASSES) + 1))


@dataclass
class PeriodFigures:
    """Everything the figures page shows for one scope and period."""

    scope: str
    period: Period
    unit: str
    """`day`, `week` or `month`: the length of each step."""
    steps: list[Step]
    totals: Figures
    """The digest's figures for this scope and period (`compute`)."""
    by_village: dict[str, Figures]
    """The same figures per village in scope (one village for a village head); village "" holds what has no
    configured village (people and cases whose village is not, or no longer, on the list)."""
    reports_by_step: list[dict[str, int]]
    """Per step: cases opened, by category (CATEGORIES order)."""
    delays_by_step: list[Delays]
    delays: Delays


def as_record(figures: PeriodFigures) -> dict[str, object]:
    """The figures as plain data (JSON: days as ISO text), to keep for a while (`from_record` reads it back)."""
    return json.loads(json.dumps(dataclasses.asdict(figures), default=str))


def from_record(record: dict) -> PeriodFigures:
    """The figures `as_record` wrote."""

    def period(data: dict) -> Period:
        return Period(data["kind"], dt.date.fromisoformat(data["first"]), dt.date.fromisoformat(data["last"]))

    def figures(data: dict) -> Figures:
        return Figures(**{**data, "period": period(data["period"])})

    steps = record["steps"]
    return PeriodFigures(
        record["scope"],
        period(record["period"]),
        record["unit"],
        [Step(dt.date.fromisoformat(s["first"]), dt.date.fromisoformat(s["last"]), s["label"]) for s in steps],
        figures(record["totals"]),
        {village: figures(data) for village, data in record["by_village"].items()},
        record["reports_by_step"],
        [Delays(**d) for d in record["delays_by_step"]],
        Delays(**record["delays"]),
    )


def steps_of(period: Period) -> tuple[str, list[Step]]:
    """The unit and the steps a chart of `period` over time has (days, Monday weeks or months, clipped to it)."""
    days = (period.last - period.first).days + 1
    unit = "day" if days <= DAYS_UP_TO else "week" if days <= WEEKS_UP_TO else "month"
    steps, first = [], period.first
    while first <= period.last:
        if unit == "day":
            last, label = first, f"{first.day}/{first.month}"
        elif unit == "week":
            last, label = first + dt.timedelta(days=6 - first.weekday()), f"{first.day}/{first.month}"
        else:
            following = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            last, label = following - dt.timedelta(days=1), f"{first.month}/{first.year}"
        last = min(last, period.last)
        steps.append(Step(first, last, label))
        first = last + dt.timedelta(days=1)
    return unit, steps


def step_index(column: peewee.Field, steps: list[Step]) -> peewee.Node:
    """SQL: the index of the step a timestamp inside the period falls in (rows outside the period are never
    selected, so no step needs a lower bound)."""
    ends = [to_utc(dt.datetime.combine(step.last + dt.timedelta(days=1), dt.time())) for step in steps]
    # every step has its WHEN (never a bare constant: PostgreSQL reads `GROUP BY 0` as a column's position)
    return peewee.Case(None, [(column < end, index) for index, end in enumerate(ends)], len(ends) - 1)


def _minutes_between(later: peewee.Field, earlier: peewee.Field) -> peewee.Node:
    """SQL: minutes from `earlier` to `later` (PostgreSQL's interval arithmetic, SQLite's julian days)."""
    if isinstance(database.obj, peewee.PostgresqlDatabase):
        return peewee.fn.date_part("epoch", later - earlier) / 60
    return (peewee.fn.julianday(later) - peewee.fn.julianday(earlier)) * 1440


def _percentile(ordered: list[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def delays_by_step(period: Period, steps: list[Step], village: str | None) -> tuple[list[Delays], Delays]:
    """The time to the first action of the cases opened in `period` (of `village`; None: every village), per step
    and over the whole period."""
    step = step_index(Case.created_at, steps)
    query = Case.select(step, _minutes_between(Case.acknowledged_at, Case.created_at)).where(
        (Case.created_at >= period.start) & (Case.created_at < period.end)
    )
    if village is not None:
        query = query.where(Case.village == village)
    per_step: list[list[float]] = [[] for _ in steps]
    waiting = [0] * len(steps)
    # the rows straight from the cursor: tens of thousands for a year, and peewee's row wrapping would double the time
    for index, minutes in cast("Iterable[tuple[int, float | None]]", database.execute(query).fetchall()):
        if minutes is None:
            waiting[int(index)] += 1
        else:
            per_step[int(index)].append(max(0.0, float(minutes)))
    every = sorted(m for values in per_step for m in values)
    return (
        [_delays(sorted(values), n) for values, n in zip(per_step, waiting, strict=True)],
        _delays(every, sum(waiting)),
    )


def _delays(ordered: list[float], waiting: int) -> Delays:
    below = [0, *(bisect.bisect_left(ordered, bound) for bound in DELAY_CLASSES), len(ordered)]
    classes = [high - low for low, high in itertools.pairwise(below)]
    return Delays(len(ordered), waiting, _percentile(ordered, 0.5), _percentile(ordered, 0.9), classes)


def reports_by_step(period: Period, steps: list[Step], village: str | None) -> list[dict[str, int]]:
    """Cases opened per step, by category: the digest's report statement grouped by step as well."""
    counts: list[dict[str, int]] = [{} for _ in steps]
    for row in report_rows(period, step_index(Case.created_at, steps)):
        where, category, index, n = row[0], row[1], int(row[2]), int(row[3])
        if village is None or where == village:
            counts[index][category] = counts[index].get(category, 0) + n
    return [{c: step[c] for c in CATEGORIES if c in step} for step in counts]


def period_figures(period: Period, scope: str, villages: list[str], now: dt.datetime) -> PeriodFigures:
    """The figures of `period` for `scope` (`ALL` or a village), with `villages` (the configured ones) shown one by
    one; open and overdue cases are as at naive UTC `now`, as in a digest made then."""
    shown = villages if scope == ALL else [scope]
    scopes = compute(period, shown, now)
    totals = scopes[scope]
    by_village = {village: scopes[village] for village in shown}
    if scope == ALL:
        by_village[""] = _rest(totals, list(by_village.values()), period)
    unit, steps = steps_of(period)
    village = None if scope == ALL else scope
    per_step, overall = delays_by_step(period, steps, village)
    return PeriodFigures(
        scope, period, unit, steps, totals, by_village, reports_by_step(period, steps, village), per_step, overall
    )


def _rest(totals: Figures, villages: list[Figures], period: Period) -> Figures:
    """What the area counts that no configured village does (registrations by status, open cases)."""
    rest = Figures("", period)
    for status, n in totals.registrations_by_status.items():
        left = n - sum(v.registrations_by_status.get(status, 0) for v in villages)
        if left:
            rest.registrations_by_status[status] = left
    rest.open = totals.open - sum(v.open for v in villages)
    rest.overdue = totals.overdue - sum(v.overdue for v in villages)
    return rest
