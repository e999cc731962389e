"""Cases: a report of trouble and everything done about it, each change a timeline event (the audit trail).

Every rule about cases lives here: who may do what, which status changes are allowed, when a case
escalates and who must be told (its vocabulary, codes and severity are in `models.case_terms`). The SMS
feature modules only translate these decisions into catalog texts.
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee

from models.base import BaseModel, PreparedInsert, fetch_instance, hot_statements, iso_utc, prepared, utcnow
from models.case_terms import (
    CATEGORIES,
    FOR_WHOM,
    NOTE_MAX,
    OPEN_STATUSES,
    STORY_MAX,
    UNACKNOWLEDGED,
    CaseError,
    Report,
    ack_minutes,
    display_code,
    new_code,
    severity_of,
)
from models.codes import normalise_code
from models.person import Person
from models.phones import mask
from models.staff import Staff

log = logging.getLogger(__name__)


hot_statements("case.for_source", "insert.case.open", "insert.case_event.record")  # a report's last step


class Case(BaseModel):
    """One report of trouble and its handling."""

    code = peewee.CharField(max_length=12, unique=True)
    reporter_phone = peewee.CharField(max_length=20, index=True)
    for_whom = peewee.CharField(max_length=10)
    category = peewee.CharField(max_length=20)
    severity = peewee.CharField(max_length=10)
    country = peewee.CharField(max_length=20, null=True)
    village = peewee.CharField(max_length=30, null=True)
    safe_to_contact = peewee.BooleanField(default=False)
    safe_phone = peewee.CharField(max_length=20, null=True)
    story = peewee.TextField(null=True)
    consent_to_refer = peewee.BooleanField(default=False)
    status = peewee.CharField(max_length=12, index=True)
    assignee = peewee.CharField(max_length=20, null=True)
    referred_to = peewee.CharField(max_length=20, null=True)
    channel = peewee.CharField(max_length=10)
    incomplete = peewee.BooleanField(default=False)
    source_key = peewee.CharField(max_length=120, unique=True)
    ack_due_at = peewee.DateTimeField()
    escalation_level = peewee.IntegerField(default=0)
    next_escalation_at = peewee.DateTimeField(null=True, index=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    acknowledged_at = peewee.DateTimeField(null=True)
    referred_at = peewee.DateTimeField(null=True)
    resolved_at = peewee.DateTimeField(null=True, index=True)
    events: peewee.ModelSelect[CaseEvent]  # the backref CaseEvent.case adds

    class Meta:
        # open cases' state for the digests (open, overdue, referred, waiting per organiser), read from the index
        indexes = ((("status", "village", "ack_due_at", "assignee"), False),)

    @property
    def display_code(self) -> str:
        """The code as people read it."""
        return display_code(self.code)

    @property
    def contact_phone(self) -> str | None:
        """Where news about the case may go: the safe number, else the reporter's when safe, else nowhere."""
        if self.safe_phone:
            return self.safe_phone
        return self.reporter_phone if self.safe_to_contact else None

    @classmethod
    def by_code(cls, raw: str) -> Case | None:
        """The case with this code, typed in any case, with or without its dash."""
        code = normalise_code(raw)
        return cls.get_or_none(cls.code == code) if code else None

    @classmethod
    def for_source(cls, source_key: str) -> Case | None:
        """The case a session or an SMS already opened (a replayed final step opens none; on every report)."""
        sql = prepared("case.for_source", lambda: cls.select().where(cls.source_key == ""))
        return fetch_instance(cls, sql, (source_key,))

    @classmethod
    def open(cls, report: Report, now: dt.datetime | None = None) -> tuple[Case, bool]:
        """Open a case from a report, once per source (USSD session or SMS id); (case, created now).

        Marks the reporter's number unsafe when they said SMS to it is not safe: from then on the
        sending policy lets through only replies to that number's own messages.
        """
        existing = cls.for_source(report.source_key)
        if existing is not None:
            if existing.incomplete and not report.incomplete:
                existing.complete(report)
            return existing, False
        if report.category not in CATEGORIES or report.for_whom not in FOR_WHOM:
            raise ValueError(f"a report needs a known category and for-whom, got {report.category}/{report.for_whom}")
        now = now or utcnow()
        severity = severity_of(report.category)
        due = now + dt.timedelta(minutes=ack_minutes(severity))
        person = Person.for_phone(report.reporter_phone)
        fields = dict(
            reporter_phone=report.reporter_phone,
            for_whom=report.for_whom,
            category=report.category,
            severity=severity,
            country=report.country,
            village=person.village if person else None,
            safe_to_contact=report.safe_to_contact,
            safe_phone=report.safe_phone,
            story=(report.story or None) and report.story[:STORY_MAX],
            consent_to_refer=report.consent_to_refer,
            status="new",
            channel=report.channel,
            incomplete=report.incomplete,
            source_key=report.source_key,
            ack_due_at=due,
            next_escalation_at=due,
            created_at=now,
            updated_at=now,
        )
        for _ in range(10):
            try:
                values = {**CASE_DEFAULTS, **fields, "code": new_code()}
                with cls._meta.database.atomic():
                    case = cls(id=CASE_INSERT.inserted_id(**values), **values)
                break
            except peewee.IntegrityError:
                existing = cls.for_source(report.source_key)
                if existing is not None:  # a concurrent replay won the race
                    return existing, False
        else:
            raise RuntimeError("no free case code after 10 tries")
        if report.said_unsafe:
            Person.mark_unsafe(report.reporter_phone)
        case.record("opened", report.reporter_phone, report.channel, "incomplete" if report.incomplete else None)
        log.info(
            "case %s opened (%s) by %s via %s",
            case.display_code,
            case.severity,
            mask(report.reporter_phone),
            report.channel,
        )
        return case, True

    def complete(self, report: Report) -> None:
        """Fill an incomplete case (opened from a dropped session) with the answers its reporter gave after all."""
        self.for_whom, self.category, self.severity = report.for_whom, report.category, severity_of(report.category)
        if self.escalation_level == 0 and self.status in UNACKNOWLEDGED:  # an urgent answer shortens the deadline
            self.ack_due_at = self.created_at + dt.timedelta(minutes=ack_minutes(self.severity))
            self.next_escalation_at = self.ack_due_at
        self.country, self.safe_to_contact, self.safe_phone = report.country, report.safe_to_contact, report.safe_phone
        self.story = (report.story or None) and report.story[:STORY_MAX]
        self.consent_to_refer, self.incomplete, self.updated_at = report.consent_to_refer, False, utcnow()
        self.save()
        if report.said_unsafe:
            Person.mark_unsafe(report.reporter_phone)
        self.record("completed", report.reporter_phone, report.channel)

    def record(self, kind: str, actor: str, channel: str, note: str | None = None) -> CaseEvent:
        """Add a timeline event (the audit trail): what happened, who did it, through which channel."""
        values = dict(
            case=self.id,
            kind=kind,
            actor=actor,
            channel=channel,
            note=(note or None) and note[:NOTE_MAX],
            created_at=utcnow(),
        )
        return CaseEvent(id=EVENT_INSERT.inserted_id(**values), **values)

    def _change(self, kind: str, actor: str, channel: str, note: str | None, **fields: object) -> None:
        now = utcnow()
        fields["updated_at"] = now
        for key, value in fields.items():
            setattr(self, key, now if value is _NOW else value)
        self.save(only=[getattr(Case, key) for key in fields])
        self.record(kind, actor, channel, note)

    # What staff do -------------------------------------------------------------------------------------------

    def acknowledge(self, staff: Staff, channel: str = "sms") -> None:
        """An organiser or coordinator takes the case: it stops escalating."""
        _require_handler(staff)
        if self.status not in UNACKNOWLEDGED:
            raise CaseError("case.error.already", f"case is {self.status}")
        self._change(
            "acknowledged",
            staff.phone,
            channel,
            None,
            status="acknowledged",
            assignee=staff.phone,
            acknowledged_at=_NOW,
            next_escalation_at=None,
        )

    def add_note(self, staff: Staff, note: str, channel: str = "sms") -> None:
        """A note on the timeline (the status does not change)."""
        _require_handler(staff)
        if not note.strip():
            raise CaseError("case.error.note_empty", "a note needs text")
        self.record("note", staff.phone, channel, note.strip())
        self.updated_at = utcnow()
        self.save(only=[Case.updated_at])

    def refer(self, staff: Staff, official: Staff, channel: str = "sms") -> None:
        """Hand the case to the labour office; it counts as taken."""
        _require_handler(staff)
        if self.status not in ("new", "acknowledged", "reopened"):
            raise CaseError("case.error.not_referable", f"case is {self.status}")
        self._change(
            "referred",
            staff.phone,
            channel,
            None,
            status="referred",
            referred_to=official.phone,
            referred_at=_NOW,
            assignee=self.assignee or staff.phone,
            acknowledged_at=self.acknowledged_at or utcnow(),
            next_escalation_at=None,
        )

    def accept_referral(self, official: Staff, channel: str = "sms") -> None:
        """The official the case was referred to acknowledges it (it stays referred)."""
        if official.role != "official" or self.referred_to != official.phone or self.status != "referred":
            raise CaseError("case.error.not_yours", "only the official it was referred to")
        self.record("referral_accepted", official.phone, channel)

    def resolve(self, staff: Staff, note: str | None = None, channel: str = "sms") -> None:
        """Close the case."""
        _require_handler(staff)
        if self.status == "resolved":
            raise CaseError("case.error.already", "case is resolved")
        self._change(
            "resolved", staff.phone, channel, note, status="resolved", resolved_at=_NOW, next_escalation_at=None
        )

    def reopen(self, staff: Staff, note: str | None = None, channel: str = "sms") -> None:
        """Open a resolved case again: unacknowledged, its escalation clock starts over."""
        _require_handler(staff)
        if self.status != "resolved":
            raise CaseError("case.error.not_resolved", f"case is {self.status}")
        now = utcnow()
        due = now + dt.timedelta(minutes=ack_minutes(self.severity))
        self._change(
            "reopened",
            staff.phone,
            channel,
            note,
            status="reopened",
            resolved_at=None,
            assignee=None,
            ack_due_at=due,
            next_escalation_at=due,
            escalation_level=0,
        )

    # Escalation -----------------------------------------------------------------------------------------------

    @classmethod
    def due_escalations(cls, now: dt.datetime) -> peewee.ModelSelect[Case]:
        """Unacknowledged cases whose next escalation step is due."""
        return cls.select().where((cls.status.in_(UNACKNOWLEDGED)) & (cls.next_escalation_at <= now))

    def claim_escalation(self, level: int) -> bool:
        """Move the case to escalation `level` (1, then 2) if it is still unacknowledged at `level - 1`; once."""
        if level not in (1, 2):
            raise ValueError(f"no escalation level {level}")
        minutes = ack_minutes(self.severity)
        following = self.ack_due_at + dt.timedelta(minutes=minutes) if level == 1 else None
        claimed = (
            Case.update(escalation_level=level, next_escalation_at=following, updated_at=utcnow())
            .where((Case.id == self.id) & (Case.escalation_level == level - 1) & Case.status.in_(UNACKNOWLEDGED))
            .execute()
        )
        if claimed:
            self.escalation_level, self.next_escalation_at = level, following
            self.record("escalated", "system", "system", f"level {level}")
        return bool(claimed)

    # Who is told ----------------------------------------------------------------------------------------------

    def alert_recipients(self) -> list[Staff]:
        """Who hears of a new case at once: every organiser (the village's own first); if urgent, also the
        coordinators and the officials."""
        roles = ("organizer", "coordinator", "official") if self.severity == "urgent" else ("organizer",)
        return _staff_in_order(roles, self.village)

    def escalation_recipients(self, level: int) -> list[Staff]:
        """Level 1: every organiser and coordinator again; level 2: the officials."""
        roles = ("organizer", "coordinator") if level == 1 else ("official",)
        return _staff_in_order(roles, self.village)

    def may_share_identity_with(self, staff: Staff) -> bool:
        """Organisers and coordinators see who reported; an official only once the case is referred to them
        with the reporter's consent (DESIGN "Safety": officials get aggregates otherwise)."""
        if staff.role != "official":
            return True
        return self.consent_to_refer and self.referred_to == staff.phone

    def may_see_status(self, phone: str) -> bool:
        """Only the reporter's number, the safe number and active staff may ask for a case's status."""
        return phone in (self.reporter_phone, self.safe_phone) or Staff.for_phone(phone) is not None

    @classmethod
    def reported_from(cls, phone: str) -> peewee.ModelSelect[Case]:
        """Cases reported from this phone or naming it as the safe number, newest first."""
        return (
            cls.select()
            .where((cls.reporter_phone == phone) | (cls.safe_phone == phone))
            .order_by(cls.created_at.desc(), cls.id.desc())
        )

    @classmethod
    def open_reported_from(cls, phone: str) -> peewee.ModelSelect[Case]:
        """Open cases reported from this phone or naming it as the safe number, oldest first."""
        return (
            cls.select()
            .where(((cls.reporter_phone == phone) | (cls.safe_phone == phone)) & cls.status.in_(OPEN_STATUSES))
            .order_by(cls.created_at, cls.id)
        )

    def erasure_recipients(self) -> list[Staff]:
        """Who hears that this case's reporter asked for their data to be erased: its organisers and
        coordinators (never an official: they may not know who reported)."""
        return _staff_in_order(("organizer", "coordinator"), self.village)

    @classmethod
    def open_for(cls, staff: Staff) -> peewee.ModelSelect[Case]:
        """The open cases a staff member sees with KASUS: theirs and the unassigned ones, oldest first."""
        return (
            cls.select()
            .where(cls.status.in_(OPEN_STATUSES) & ((cls.assignee == staff.phone) | cls.assignee.is_null()))
            .order_by(cls.created_at, cls.id)
        )

    @classmethod
    def referred_to_official(cls, official: Staff) -> peewee.ModelSelect[Case]:
        """Referred cases waiting for this official (DETAIL), oldest first."""
        return (
            cls.select()
            .where((cls.status == "referred") & (cls.referred_to == official.phone))
            .order_by(cls.referred_at, cls.id)
        )

    def to_export(self, with_details: bool = False) -> dict[str, object]:
        """Flat record for `export cases` (no story or notes unless `with_details`)."""
        record: dict[str, object] = {
            "code": self.display_code,
            "status": self.status,
            "category": self.category,
            "severity": self.severity,
            "country": self.country,
            "village": self.village,
            "created_at": iso_utc(self.created_at),
            "acknowledged_at": iso_utc(self.acknowledged_at),
            "resolved_at": iso_utc(self.resolved_at),
            "events": self.events.count(),
        }
        if with_details:
            record["story"] = self.story
            notes = self.events.where(CaseEvent.kind == "note").order_by(CaseEvent.id)
            record["notes"] = " | ".join(e.note or "" for e in notes)
        return record


class CaseEvent(BaseModel):
    """One change of a case: what, who (a phone or "system"), through which channel, with an optional note."""

    case = peewee.ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    kind = peewee.CharField(max_length=20)
    actor = peewee.CharField(max_length=20)
    channel = peewee.CharField(max_length=10)
    note = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class _Now:
    """Marker: set this field to the time of the change."""


_NOW = _Now()

HANDLER_ROLES = ("organizer", "coordinator")
"""Roles that take, note, refer, resolve and reopen cases; officials acknowledge referrals."""


def _require_handler(staff: Staff) -> None:
    if staff.role not in HANDLER_ROLES:
        raise CaseError("case.error.role", f"{staff.role} cannot do that")


def referral_official() -> Staff | None:
    """Who RUJUK refers a case to: the regency labour official (an active official with no village) first by
    name; else any active official (a village head); None when there is no official at all."""
    officials = Staff.select().where(Staff.active & (Staff.role == "official"))
    return (
        officials.where(Staff.village.is_null()).order_by(Staff.name, Staff.id).first()
        or officials.order_by(Staff.name, Staff.id).first()
    )


def _staff_in_order(roles: tuple[str, ...], village: str | None) -> list[Staff]:
    """Active staff with these roles: the village's own first, then the rest, each group by name."""
    return sorted(Staff.active_in_roles(roles), key=lambda s: 0 if village and s.village == village else 1)


CASE_DEFAULTS: dict[str, object] = {
    "assignee": None,
    "referred_to": None,
    "escalation_level": 0,
    "acknowledged_at": None,
    "referred_at": None,
    "resolved_at": None,
}
"""What a new case starts with besides the report's answers."""

CASE_INSERT = PreparedInsert(
    "case.open", Case, [f.name for f in Case._meta.sorted_fields if not f.primary_key], returns_id=True
)
"""The insert behind `Case.open`, on the last step of every report."""

EVENT_INSERT = PreparedInsert(
    "case_event.record", CaseEvent, ("case", "kind", "actor", "channel", "note", "created_at"), returns_id=True
)
"""The insert behind `Case.record`: every change of every case."""
