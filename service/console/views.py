"""What the console's case and people pages show, read from the models within one staff member's scope.

Each function returns plain rows for a template; the scope rule is `models.scope` (out of scope: None, which the
page answers with 404). "Unread" reporter messages: a case's latest `message` event is unread for a staff member
when it is newer than the last thing any staff member did on the case (took, noted, answered, referred,
resolved, reopened, handed over) AND newer than that staff member's own last opening of the case's page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import peewee

from menus import catalog
from models import utcnow
from models.audit import AuditEvent
from models.case import Case, CaseEvent
from models.case_access import may_read, may_share_identity_with
from models.case_terms import CATEGORIES, OPEN_STATUSES, UNACKNOWLEDGED
from models.message import Message
from models.person import Person
from models.scope import cases_for, shown_case_number, shown_number
from models.settings import to_local
from models.staff import Staff
from models.training import Enrollment, Training

PAGE_SIZE = 50
"""Rows per page of a list."""

TODAY_ROWS = 20
"""Rows per section of the today page."""

UNREAD_CANDIDATES = 200
"""How many open cases with reporter messages the today page looks at for unread ones (the latest touched)."""

STAFF_ACTIONS = ("acknowledged", "note", "reply", "referred", "referral_accepted", "resolved", "reopened", "handover")
"""Timeline kinds that are a staff member acting on the case: after one, the reporter's earlier words are read."""

EVENT_KINDS = frozenset(
    {"opened", "completed", "message", "escalated", "referral_reminded", "erasure_asked", *STAFF_ACTIONS}
)
"""Timeline kinds with a console label (`console.event.<kind>`); others show as stored."""

FILTERS = ("status", "category", "village", "severity", "overdue", "assignee")


def label(key: str, language: str, params: dict[str, str] | None = None) -> str:
    """A console text (`console.<key>` of the service's catalogs) in `language`."""
    return catalog.text(f"console.{key}", language, params)


@dataclass
class CaseRow:
    """One case in a list: code, category, village, age, whether contact is safe."""

    code: str
    category: str
    status: str
    severity: str
    village: str
    age: str
    safe: bool


def age(when: dt.datetime, now: dt.datetime, language: str) -> str:
    """How long ago, shortly: minutes, hours or days."""
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 3600:
        return label("age.minutes", language, {"n": str(seconds // 60)})
    if seconds < 86400:
        return label("age.hours", language, {"n": str(seconds // 3600)})
    return label("age.days", language, {"n": str(seconds // 86400)})


def case_row(case: Case, language: str, now: dt.datetime) -> CaseRow:
    """A case as a list shows it."""
    return CaseRow(
        code=case.display_code,
        category=catalog.text(f"case.category_short.{case.category}", language),
        status=catalog.text(f"case.status_short.{case.status}", language),
        severity=case.severity,
        village=case.village or "-",
        age=age(case.created_at, now, language),
        safe=case.contact_phone is not None,
    )


def local_time(when: dt.datetime | None) -> str:
    """A stored UTC time as local 'YYYY-MM-DD HH:MM'."""
    return to_local(when).strftime("%Y-%m-%d %H:%M") if when else ""


# Today ------------------------------------------------------------------------------------------------------


def today(staff: Staff, language: str) -> dict[str, list[CaseRow]]:
    """The today page's sections: new, overdue, mine, unread reporter messages."""
    now, scoped = utcnow(), cases_for(staff)
    newest = scoped.where(Case.status.in_(UNACKNOWLEDGED)).order_by(Case.created_at.desc(), Case.id.desc())
    overdue = scoped.where(Case.status.in_(UNACKNOWLEDGED) & (Case.ack_due_at < now)).order_by(Case.ack_due_at)
    mine_where = Case.assignee == staff.phone if staff.role != "official" else Case.referred_to == staff.phone
    mine = scoped.where(Case.status.in_(OPEN_STATUSES) & mine_where).order_by(Case.updated_at.desc())

    def rows(query: peewee.ModelSelect[Case]) -> list[CaseRow]:
        return [case_row(case, language, now) for case in query.limit(TODAY_ROWS)]

    return {
        "new": rows(newest),
        "overdue": rows(overdue),
        "mine": rows(mine),
        "unread": [case_row(case, language, now) for case in unread(staff)[:TODAY_ROWS]],
    }


def unread(staff: Staff) -> list[Case]:
    """Open cases in scope with a reporter message this staff member has not read (see the module's rule)."""
    candidates = list(
        cases_for(staff)
        .where(Case.status.in_(OPEN_STATUSES) & Case.message_alert_at.is_null(False))
        .order_by(Case.updated_at.desc())
        .limit(UNREAD_CANDIDATES)
    )
    if not candidates:
        return []
    ids = [case.id for case in candidates]
    latest = peewee.fn.MAX(CaseEvent.created_at)
    messages = _pairs(
        CaseEvent.select(CaseEvent.case, latest)
        .where(CaseEvent.case.in_(ids) & (CaseEvent.kind == "message"))
        .group_by(CaseEvent.case)
        .tuples()
    )
    acted = _pairs(
        CaseEvent.select(CaseEvent.case, latest)
        .where(CaseEvent.case.in_(ids) & CaseEvent.kind.in_(STAFF_ACTIONS))
        .group_by(CaseEvent.case)
        .tuples()
    )
    seen = _pairs(
        AuditEvent.select(AuditEvent.target, peewee.fn.MAX(AuditEvent.created_at))
        .where(
            (AuditEvent.kind == "case_opened")
            & AuditEvent.target.in_([case.code for case in candidates])
            & (AuditEvent.actor == staff.phone)
        )
        .group_by(AuditEvent.target)
        .tuples()
    )
    found = []
    for case in candidates:
        message = _as_time(messages.get(case.id))
        if message is None:
            continue
        since = max((t for t in (_as_time(acted.get(case.id)), _as_time(seen.get(case.code))) if t), default=None)
        if since is None or message > since:
            found.append(case)
    return found


def _pairs(query: peewee.ModelSelect[Any]) -> dict[Any, Any]:
    """A two-column query's rows as a dict (first column to second)."""
    return dict(cast(Iterable[tuple[Any, Any]], query))


def _as_time(value: object) -> dt.datetime | None:
    """An aggregate's time (SQLite answers MAX with text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def village_figures(staff: Staff) -> dict[str, int]:
    """A village head's figures for their village: open, new, overdue, resolved in the last 30 days."""
    village, now = staff.village, utcnow()
    of_village = Case.select().where(Case.village == village)
    return {
        "open": of_village.where(Case.status.in_(OPEN_STATUSES)).count(),
        "new": of_village.where(Case.status.in_(UNACKNOWLEDGED)).count(),
        "overdue": of_village.where(Case.status.in_(UNACKNOWLEDGED) & (Case.ack_due_at < now)).count(),
        "resolved_30": of_village.where(Case.resolved_at >= now - dt.timedelta(days=30)).count(),
    }


# The case list ----------------------------------------------------------------------------------------------


def case_list(staff: Staff, args: dict[str, str], language: str) -> tuple[list[CaseRow], int | None]:
    """One page of the cases in scope that match the filters, newest first; and the id to start the next page
    from (None on the last page). Keyset paging on the primary key keeps every page as fast as the first."""
    query = cases_for(staff)
    status, category = args.get("status", ""), args.get("category", "")
    if status in (*OPEN_STATUSES, "resolved"):
        query = query.where(Case.status == status)
    elif status == "open":
        query = query.where(Case.status.in_(OPEN_STATUSES))
    if category in CATEGORIES:
        query = query.where(Case.category == category)
    if args.get("village"):
        query = query.where(Case.village == args["village"])
    if args.get("severity") in ("urgent", "normal"):
        query = query.where(Case.severity == args["severity"])
    if args.get("overdue"):
        query = query.where(Case.status.in_(UNACKNOWLEDGED) & (Case.ack_due_at < utcnow()))
    assignee = args.get("assignee", "")
    if assignee == "me":
        query = query.where(Case.assignee == staff.phone)
    elif assignee == "none":
        query = query.where(Case.assignee.is_null())
    elif assignee:
        query = query.where(Case.assignee == assignee)
    before = args.get("before", "")
    if before.isdigit():
        query = query.where(Case.id < int(before))
    found = list(query.order_by(Case.id.desc()).limit(PAGE_SIZE + 1))
    now = utcnow()
    rows = [case_row(case, language, now) for case in found[:PAGE_SIZE]]
    return rows, (found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None)


def assignees() -> list[Staff]:
    """Who may hold a case (the assignee filter's choices)."""
    return Staff.active_in_roles(("organizer", "coordinator"))


# One case ---------------------------------------------------------------------------------------------------


@dataclass
class TimelineRow:
    """One event of a case's timeline as the page shows it."""

    when: str
    kind: str
    actor: str
    channel: str
    note: str


def case_page(case: Case, staff: Staff, language: str) -> dict[str, object]:
    """Everything the case's page shows to this staff member (words and numbers only where the scope shares them)."""
    shares = may_share_identity_with(case, staff)
    names = {member.phone: member.name for member in Staff.select(Staff.phone, Staff.name)}
    events = list(case.events.order_by(CaseEvent.created_at, CaseEvent.id))

    def actor(phone: str) -> str:
        if phone in names:
            return names[phone]
        if phone == "system":
            return label("actor.system", language)
        return label("actor.reporter", language)

    timeline = [
        TimelineRow(
            when=local_time(event.created_at),
            kind=label(f"event.{event.kind}", language) if event.kind in EVENT_KINDS else event.kind,
            actor=actor(event.actor),
            channel=event.channel,
            note=(event.note or "") if (shares or event.kind not in ("message", "opened")) else "",
        )
        for event in events
    ]
    messages = [row for row, event in zip(timeline, events, strict=True) if event.kind == "message"] if shares else []
    looked = [
        (names.get(event.actor, event.actor), local_time(event.created_at))
        for event in AuditEvent.of_target("case_opened", case.code)
    ]
    official = Staff.get_or_none(Staff.phone == case.referred_to) if case.referred_to else None
    return {
        "case": case,
        "shares": shares,
        "story": case.story if shares else None,
        "reporter_phone": shown_case_number(staff, case, case.reporter_phone),
        "safe_phone": shown_case_number(staff, case, case.safe_phone),
        "contact_safe": case.contact_phone is not None,
        "category": catalog.text(f"case.category_short.{case.category}", language),
        "status": catalog.text(f"case.status_short.{case.status}", language),
        "created": local_time(case.created_at),
        "holder": names.get(case.assignee or "", ""),
        "official": official.name if official else "",
        "agency": catalog.text(f"case.agency.{case.referred_agency or 'village'}", language)
        if case.referred_to
        else "",
        "timeline": timeline,
        "messages": messages,
        "looked": looked,
        "actions": actions(case, staff),
    }


def agency_label(case: Case, language: str) -> str:
    """Who the case is referred to, as an agency's name (a village head's title when it went to one)."""
    if not case.referred_to:
        return ""
    return catalog.text(f"case.agency.{case.referred_agency or 'village'}", language)


def actions(case: Case, staff: Staff) -> list[str]:
    """The desk's actions this staff member may offer on the case now (the domain still decides on each)."""
    if staff.role == "official":
        mine = case.referred_to == staff.phone and case.status == "referred"
        return ["take", "note", "resolve"] if mine else []
    if staff.role not in ("organizer", "coordinator"):
        return []
    if case.status == "resolved":
        return ["note", "reopen"]
    offered = ["take"] if case.status in UNACKNOWLEDGED else []
    offered += ["note", "reply"]
    if case.status in ("new", "acknowledged", "reopened"):
        offered.append("refer")
    return [*offered, "resolve"]


# People -----------------------------------------------------------------------------------------------------


@dataclass
class PersonRow:
    """One person in the people list."""

    id: int
    name: str
    phone: str
    village: str
    status: str


def people(staff: Staff, args: dict[str, str]) -> tuple[list[PersonRow], int | None]:
    """One page of people matching the search (name contains, village, status), newest first; and where the next
    page starts (keyset on the primary key). Numbers whole only for coordinators."""
    query = Person.select(Person.id, Person.name, Person.phone, Person.village, Person.status)
    name = " ".join(args.get("q", "").split())[:30]
    if name:
        query = query.where(Person.name.contains(name))
    if args.get("village"):
        query = query.where(Person.village == args["village"])
    if args.get("status"):
        query = query.where(Person.status == args["status"])
    before = args.get("before", "")
    if before.isdigit():
        query = query.where(Person.id < int(before))
    found = list(query.order_by(Person.id.desc()).limit(PAGE_SIZE + 1))
    rows = [
        PersonRow(p.id, p.name or "-", shown_number(staff, p.phone), p.village or "-", p.status or "-")
        for p in found[:PAGE_SIZE]
    ]
    return rows, (found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None)


MESSAGES_SHOWN = 50
REQUEST_WORDS = ("DATA", "DATAKU", "MYDATA", "HAPUS", "ERASE", "DELETE")
"""The first words of an SMS that asks for one's data (DATA) or its erasure (HAPUS), in any language."""


def person_page(person: Person, staff: Staff, language: str) -> dict[str, object]:
    """A person's profile, consent, trainings, cases, messages with their delivery status, and DATA/HAPUS asks."""
    enrollments = list(
        Enrollment.select(Enrollment, Training)
        .join(Training)
        .where(Enrollment.phone == person.phone)
        .order_by(Training.starts_at.desc())
    )
    reported = Case.select().where(Case.reporter_phone == person.phone).order_by(Case.id.desc())  # its index
    cases = [case for case in reported if may_read(case, staff)]
    messages = list(
        Message.select().where(Message.phone == person.phone).order_by(Message.id.desc()).limit(MESSAGES_SHOWN)
    )
    asked = [
        (local_time(m.created_at), (m.text or "").split()[0].upper())
        for m in messages
        if m.direction == "in" and (m.text or "").split() and (m.text or "").split()[0].upper() in REQUEST_WORDS
    ]
    ids = [case.id for case in cases]
    erasures = (
        CaseEvent.select()
        .where(CaseEvent.case.in_(ids) & (CaseEvent.kind == "erasure_asked") & (CaseEvent.actor == person.phone))
        .count()
        if ids
        else 0
    )
    return {
        "person": person,
        "phone": shown_number(staff, person.phone),
        "consent_at": local_time(person.consent_at),
        "created": local_time(person.created_at),
        "opted_out": local_time(person.opted_out_at),
        "unsafe": local_time(person.unsafe_at),
        "enrollments": [
            (e.training.code, e.training.title, local_time(e.training.starts_at), e.status) for e in enrollments
        ],
        "cases": [case_row(case, language, utcnow()) for case in cases],
        "messages": [(local_time(m.created_at), m.direction, m.purpose, m.status, m.text or "") for m in messages],
        "asked": asked,
        "erasures": erasures,
    }
