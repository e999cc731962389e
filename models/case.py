"""Cases: the case model and its life (opened from a report, taken, noted, resolved, reopened), each change an
event on its timeline (`CaseEvent`, the audit trail).

The rules about cases live in `models.case*`: this module holds the case itself and what its handlers do to it;
`case_referral` (officials), `case_alerts` (who is told, escalation), `case_talk` (the reporter's later messages and
answers), `case_access` (who may read it), `case_erasure` (HAPUS on an open case) and `handover` build on it. Its
vocabulary, codes and severity are in `models.case_terms`. The SMS feature modules only translate these decisions
into catalog texts.
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
from models.crypto import EncryptedTextField, WithLookupHashes, lookup_hash
from models.person import Person
from models.phones import mask
from models.staff import Staff

log = logging.getLogger(__name__)


hot_statements(  # a report's last step
    "case.for_source", "insert.case.open", "insert.case_event.record", "case.opened_since"
)


class Case(WithLookupHashes):
    """One report of trouble and its handling."""

    code = peewee.CharField(max_length=12, unique=True)
    reporter_phone = peewee.CharField(max_length=20, index=True)
    for_whom = peewee.CharField(max_length=10)
    category = peewee.CharField(max_length=20)
    severity = peewee.CharField(max_length=10)
    country = peewee.CharField(max_length=20, null=True)
    village = peewee.CharField(max_length=30, null=True)
    safe_to_contact = peewee.BooleanField(default=False)
    safe_phone = EncryptedTextField(null=True, lookup="safe_phone_hash")
    safe_phone_hash = peewee.CharField(max_length=64, null=True, index=True)
    """The safe number's lookup hash (`models.crypto.lookup_hash`): queries compare this, never the number."""
    story = EncryptedTextField(null=True)
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
    safe_phone_seen_at = peewee.DateTimeField(null=True)
    """When a message first came from the safe number: until then it is only a number to call."""
    message_alert_at = peewee.DateTimeField(null=True)
    """When staff were last told of a message from the reporter (at most once per MESSAGE_ALERT_EVERY)."""
    referred_agency = peewee.CharField(max_length=10, null=True)
    """The agency the case was referred to (`models.staff.AGENCIES`); none when it went to its village's head."""
    referral_due_at = peewee.DateTimeField(null=True, index=True)
    """When the official who has not taken the referral is reminded (once); cleared once they act or are reminded."""
    referral_accepted_at = peewee.DateTimeField(null=True)
    referral_reminded_at = peewee.DateTimeField(null=True)
    events: peewee.ModelSelect[CaseEvent]  # the backref CaseEvent.case adds

    class Meta:
        # open cases' state for the digests (open, overdue, referred, waiting per organiser), read from the index
        indexes = ((("status", "village", "ack_due_at", "assignee"), False),)

    @property
    def display_code(self) -> str:
        """The code as people read it."""
        return display_code(self.code)

    @property
    def call_phone(self) -> str | None:
        """The number staff may call about the case: the safe number given, else the reporter's when safe."""
        return self.safe_phone or (self.reporter_phone if self.safe_to_contact else None)

    @property
    def contact_phone(self) -> str | None:
        """Where news about the case may go: the safe number once a message came from it (until then it is only a
        number to call), else the reporter's when safe, else nowhere."""
        if self.safe_phone:
            return self.safe_phone if self.safe_phone_seen_at is not None else None
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
        severity = severity_of(report.category, report.said_unsafe)
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
            safe_phone_hash=lookup_hash(report.safe_phone),
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
        self.for_whom, self.category = report.for_whom, report.category
        self.severity = severity_of(report.category, report.said_unsafe)
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

    def record(
        self, kind: str, actor: str, channel: str, note: str | None = None, note_max: int = NOTE_MAX
    ) -> CaseEvent:
        """Add a timeline event (the audit trail): what happened, who did it, through which channel."""
        values = dict(
            case=self.id,
            kind=kind,
            actor=actor,
            channel=channel,
            note=(note or None) and note[:note_max],
            created_at=utcnow(),
        )
        return CaseEvent(id=EVENT_INSERT.inserted_id(**values), **values)

    def change(self, kind: str, actor: str, channel: str, note: str | None, **fields: object) -> None:
        """Set `fields` (NOW: the time of the change) with `updated_at`, and record the change on the timeline."""
        now = utcnow()
        fields["updated_at"] = now
        for key, value in fields.items():
            setattr(self, key, now if value is NOW else value)
        self.save(only=[getattr(Case, key) for key in fields])
        self.record(kind, actor, channel, note)

    # What staff do -------------------------------------------------------------------------------------------

    def acknowledge(self, staff: Staff, channel: str = "sms") -> None:
        """An organiser or coordinator takes the case: it stops escalating."""
        require_handler(staff)
        if self.status not in UNACKNOWLEDGED:
            raise CaseError("case.error.already", f"case is {self.status}")
        self.change(
            "acknowledged",
            staff.phone,
            channel,
            None,
            status="acknowledged",
            assignee=staff.phone,
            acknowledged_at=NOW,
            next_escalation_at=None,
        )

    def add_note(self, staff: Staff, note: str, channel: str = "sms") -> None:
        """A note on the timeline (the status does not change)."""
        require_handler(staff)
        if not note.strip():
            raise CaseError("case.error.note_empty", "a note needs text")
        self.record("note", staff.phone, channel, note.strip())
        self.updated_at = utcnow()
        self.save(only=[Case.updated_at])

    def resolve(self, staff: Staff, note: str | None = None, channel: str = "sms") -> None:
        """Close the case."""
        require_handler(staff)
        if self.status == "resolved":
            raise CaseError("case.error.already", "case is resolved")
        self.change(
            "resolved",
            staff.phone,
            channel,
            note,
            status="resolved",
            resolved_at=NOW,
            next_escalation_at=None,
            referral_due_at=None,
        )

    def reopen(self, staff: Staff, note: str | None = None, channel: str = "sms") -> None:
        """Open a resolved case again: unacknowledged, its escalation clock starts over."""
        require_handler(staff)
        if self.status != "resolved":
            raise CaseError("case.error.not_resolved", f"case is {self.status}")
        now = utcnow()
        due = now + dt.timedelta(minutes=ack_minutes(self.severity))
        self.change(
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

    @classmethod
    def safe_phone_is(cls, phone: str) -> peewee.Expression:
        """Where the case's safe number is `phone`: compared by its lookup hash (the number itself is encrypted)."""
        return cls.safe_phone_hash == lookup_hash(phone)

    @classmethod
    def open_for(cls, staff: Staff) -> peewee.ModelSelect[Case]:
        """The open cases a staff member sees with KASUS: theirs and the unassigned ones, oldest first."""
        return (
            cls.select()
            .where(cls.status.in_(OPEN_STATUSES) & ((cls.assignee == staff.phone) | cls.assignee.is_null()))
            .order_by(cls.created_at, cls.id)
        )

    def holder(self) -> Staff | None:
        """Who holds the open case (took or referred it), if anyone does."""
        if self.status not in OPEN_STATUSES or not self.assignee:
            return None
        return Staff.get_or_none(Staff.phone == self.assignee)

    def to_export(self, with_details: bool = False, events: int | None = None) -> dict[str, object]:
        """Flat record for `export cases` (no story or notes unless `with_details`); `events`: the timeline's length
        when the export counted it already (else one query)."""
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
            "events": self.events.count() if events is None else events,
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
    note = EncryptedTextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Now:
    """Marker: set this field to the time of the change."""


NOW = Now()
"""Set a field to this in `Case.change` for the time of the change."""

HANDLER_ROLES = ("organizer", "coordinator")
"""Roles that take, note, refer, resolve and reopen cases; officials acknowledge referrals."""


def require_handler(staff: Staff) -> None:
    """CaseError unless the staff member is an organiser or coordinator (`HANDLER_ROLES`)."""
    if staff.role not in HANDLER_ROLES:
        raise CaseError("case.error.role", f"{staff.role} cannot do that")


CASE_DEFAULTS: dict[str, object] = {
    "assignee": None,
    "referred_to": None,
    "escalation_level": 0,
    "acknowledged_at": None,
    "referred_at": None,
    "resolved_at": None,
    "safe_phone_seen_at": None,
    "message_alert_at": None,
    "referred_agency": None,
    "referral_due_at": None,
    "referral_accepted_at": None,
    "referral_reminded_at": None,
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
