"""Who is told of a case and when it escalates: its first alert, the escalation steps while nobody takes it, and
who was told (whom to tell once someone does)."""

from __future__ import annotations

import datetime as dt

import peewee

from models.base import utcnow
from models.case import HANDLER_ROLES, Case
from models.case_terms import UNACKNOWLEDGED, ack_minutes
from models.staff import Staff


def due_escalations(now: dt.datetime) -> peewee.ModelSelect[Case]:
    """Unacknowledged cases whose next escalation step is due."""
    return Case.select().where((Case.status.in_(UNACKNOWLEDGED)) & (Case.next_escalation_at <= now))


def claim_escalation(case: Case, level: int) -> bool:
    """Move the case to escalation `level` (1, then 2) if it is still unacknowledged at `level - 1`; once."""
    if level not in (1, 2):
        raise ValueError(f"no escalation level {level}")
    minutes = ack_minutes(case.severity)
    following = case.ack_due_at + dt.timedelta(minutes=minutes) if level == 1 else None
    claimed = (
        Case.update(escalation_level=level, next_escalation_at=following, updated_at=utcnow())
        .where((Case.id == case.id) & (Case.escalation_level == level - 1) & Case.status.in_(UNACKNOWLEDGED))
        .execute()
    )
    if claimed:
        case.escalation_level, case.next_escalation_at = level, following
        case.record("escalated", "system", "system", f"level {level}")
    return bool(claimed)


def alert_recipients(case: Case) -> list[Staff]:
    """Who hears of a new case at once: every organiser (the village's own first); if urgent, also the
    coordinators and the officials."""
    roles = ("organizer", "coordinator", "official") if case.severity == "urgent" else ("organizer",)
    return _in_scope(case, staff_in_order(roles, case.village))


def escalation_recipients(case: Case, level: int) -> list[Staff]:
    """Level 1: every organiser and coordinator again; level 2: the officials."""
    roles = ("organizer", "coordinator") if level == 1 else ("official",)
    return _in_scope(case, staff_in_order(roles, case.village))


def _in_scope(case: Case, staff: list[Staff]) -> list[Staff]:
    """Leave out the village heads of other villages: a village head hears only of their own village's cases."""
    return [m for m in staff if not (m.role == "official" and m.village and m.village != case.village)]


def alerted_handlers(case: Case) -> list[Staff]:
    """The organisers and coordinators who were told of the case (its alert, an escalation, the reporter's
    messages while nobody held it): whom to tell once someone takes it."""
    told = [member for member in alert_recipients(case) if member.role in HANDLER_ROLES]
    if case.escalation_level >= 1:
        told += [member for member in escalation_recipients(case, 1) if member not in told]
    return told


def staff_in_order(roles: tuple[str, ...], village: str | None) -> list[Staff]:
    """Active staff with these roles: the village's own first, then the rest, each group by name."""
    return sorted(Staff.active_in_roles(roles), key=lambda s: 0 if village and s.village == village else 1)
