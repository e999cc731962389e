"""The cadres' figures for a period, by the village each cadre applied for: how many became cadres, how many were
active (took a task), the cases and visits they handled, and how soon a new cadre first acted.

Everyone whose application was approved counts, promoted or not: succession is whether the people who joined go on
to act. Each figure is one GROUP BY statement (the number of cadres is small: the first-action times are combined in
Python). Numbers only: no name or phone leaves this module. `models.digest_figures` adds them to every scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median
from typing import cast

import peewee

from models.cadre import CadreApplication
from models.case import CaseEvent
from models.digest_period import Period
from models.task import Task

HANDLING_KINDS = ("acknowledged", "note", "reply", "referred", "resolved", "reopened", "handover")
"""Timeline events that are someone handling a case (taking, noting, answering, referring, closing, passing on)."""


@dataclass
class CadreCounts:
    """One village's cadre figures for a period."""

    new: int = 0
    active: int = 0
    cases: int = 0
    visits: int = 0
    first_action_hours: list[float] = field(default_factory=list)
    """Hours from approval to first action, for each cadre whose first action fell in the period."""


def _in(column: peewee.Field, period: Period) -> peewee.Expression:
    return (column >= period.start) & (column < period.end)


def _approved() -> peewee.Expression:
    return CadreApplication.status == "approved"


def cadre_counts(period: Period) -> dict[str, CadreCounts]:
    """The cadre figures of the period, keyed by village (the village a cadre applied for)."""
    counts: dict[str, CadreCounts] = {}

    def of(village: str) -> CadreCounts:
        return counts.setdefault(village, CadreCounts())

    new = CadreApplication.select(CadreApplication.village, peewee.fn.COUNT(CadreApplication.id)).where(
        _approved() & _in(CadreApplication.decided_at, period)
    )
    for village, n in cast("Iterable[tuple[str, int]]", new.group_by(CadreApplication.village).tuples()):
        of(village).new += n

    on_holder = (Task.holder == CadreApplication.phone) & _approved()
    active = (
        Task.select(CadreApplication.village, peewee.fn.COUNT(peewee.fn.DISTINCT(Task.holder)))
        .join(CadreApplication, on=on_holder)
        .where(_in(Task.taken_at, period))
        .group_by(CadreApplication.village)
    )
    for village, n in cast("Iterable[tuple[str, int]]", active.tuples()):
        of(village).active += n

    visits = (
        Task.select(CadreApplication.village, peewee.fn.COUNT(Task.id))
        .join(CadreApplication, on=on_holder)
        .where((Task.kind == "visit") & (Task.status == "done") & _in(Task.done_at, period))
        .group_by(CadreApplication.village)
    )
    for village, n in cast("Iterable[tuple[str, int]]", visits.tuples()):
        of(village).visits += n

    cases = (
        CaseEvent.select(CadreApplication.village, peewee.fn.COUNT(peewee.fn.DISTINCT(CaseEvent.case)))
        .join(CadreApplication, on=(CaseEvent.actor == CadreApplication.phone) & _approved())
        .where(CaseEvent.kind.in_(HANDLING_KINDS) & _in(CaseEvent.created_at, period))
        .group_by(CadreApplication.village)
    )
    for village, n in cast("Iterable[tuple[str, int]]", cases.tuples()):
        of(village).cases += n

    for village, hours in _first_actions(period):
        of(village).first_action_hours.append(hours)
    return counts


def _first_actions(period: Period) -> list[tuple[str, float]]:
    """(village, hours from approval to first action) of each cadre whose first action after approval fell in the
    period: their first task taken or first case handled, whichever came first."""
    approved = list(CadreApplication.select().where(_approved()))
    if not approved:
        return []
    phones = [a.phone for a in approved]
    first_task = (
        Task.select(Task.holder, peewee.fn.MIN(Task.taken_at))
        .where(Task.holder.in_(phones) & Task.taken_at.is_null(False))
        .group_by(Task.holder)
    )
    first_case = (
        CaseEvent.select(CaseEvent.actor, peewee.fn.MIN(CaseEvent.created_at))
        .where(CaseEvent.actor.in_(phones) & CaseEvent.kind.in_(HANDLING_KINDS))
        .group_by(CaseEvent.actor)
    )
    firsts: dict[str, dt.datetime] = {}
    for phone, at in [*first_task.tuples(), *first_case.tuples()]:
        at = _as_datetime(at)
        if at is not None and (phone not in firsts or at < firsts[phone]):
            firsts[phone] = at
    found = []
    for application in approved:
        first = firsts.get(application.phone)
        if first is None or application.decided_at is None or first < application.decided_at:
            continue
        if period.start <= first < period.end:
            found.append((application.village, (first - application.decided_at).total_seconds() / 3600))
    return found


def _as_datetime(value: object) -> dt.datetime | None:
    """MIN() of a datetime column: a datetime on PostgreSQL, a string on SQLite."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def median_hours(hours: list[float]) -> int | None:
    """The median time to first action in whole hours (rounded), or None when nobody acted first in the period."""
    return round(median(hours)) if hours else None
