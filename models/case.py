"""Cases: a report of trouble and everything done about it, each change a timeline event (the audit trail).

Every rule about cases lives here: who may do what, which status changes are allowed, when a case
escalates and who must be told (its vocabulary, codes and severity are in `models.case_terms`). The SMS
feature modules only translate these decisions into catalog texts.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

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
from models.settings import SETTINGS, to_local, to_utc
from models.staff import DEFAULT_AGENCY, Staff

log = logging.getLogger(__name__)


hot_statements(  # a report's last step
    "case.for_source", "insert.case.open", "insert.case_event.record", "case.opened_since"
)

MESSAGE_ALERT_EVERY = dt.timedelta(hours=1)
"""Staff hear of a reporter's messages at most this often per case (a flood is kept, not forwarded SMS by SMS)."""

MESSAGE_MAX = 1530
"""The longest reporter's message a case keeps whole (ten SMS segments; an SMS longer still is cut)."""

WORD_KINDS = ("message", "note", "reply", "resolved", "reopened")
"""Timeline events whose note is someone's words: the reporter's messages, the staff's notes and answers."""

WORDS_SHOWN = 20
"""The most timeline words DETAIL reads (what fits its SMS is fewer)."""

NOT_NEUTRAL = (
    "lapor", "kasus", "aduan", "trafficking", "perdagangan", "kekerasan", "leceh", "kurung", "sekap", "paspor",
    "disnaker", "dinas", "polisi", "kbri", "bp3mi", "bp2mi", "kp2mi", "kbmi", "migran", "tki", "kawalmigran",
    "report", "case", "abuse", "police", "embassy", "passport",
)  # fmt: skip
"""Words (and, from five letters, the words they are part of) never sent to a reporter's or a safe number: a phone
may be read by an employer or an agent (DESIGN "The SMS report")."""


def non_neutral_word(text: str) -> str | None:
    """The first word of `text` that names a report, a case, abuse, an agency or the organisation, if any."""
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if any(word == stem or (len(stem) >= 5 and stem in word) for stem in NOT_NEUTRAL):
            return word
    return None


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
        """Hand the case to an official (`referral_official`); it counts as taken. The official has
        REFERRAL_ACK_DAYS to take it before they are reminded."""
        _require_handler(staff)
        if self.status not in ("new", "acknowledged", "reopened"):
            raise CaseError("case.error.not_referable", f"case is {self.status}")
        self._change(
            "referred",
            staff.phone,
            channel,
            official.referral_agency,
            status="referred",
            referred_to=official.phone,
            referred_agency=official.referral_agency,
            referred_at=_NOW,
            referral_due_at=utcnow() + dt.timedelta(days=SETTINGS.referral_ack_days),
            referral_accepted_at=None,
            referral_reminded_at=None,
            assignee=self.assignee or staff.phone,
            acknowledged_at=self.acknowledged_at or utcnow(),
            next_escalation_at=None,
        )

    def accept_referral(self, official: Staff, channel: str = "sms") -> None:
        """The official the case was referred to takes it (it stays referred), once: taking it again changes
        nothing."""
        self._require_referred_to(official)
        if self.referral_accepted_at is None:
            self._change(
                "referral_accepted", official.phone, channel, None, referral_accepted_at=_NOW, referral_due_at=None
            )

    def note_referral(self, official: Staff, note: str, channel: str = "sms") -> None:
        """The official notes what they did on a case referred to them (so they have taken it)."""
        self._require_referred_to(official)
        if not note.strip():
            raise CaseError("case.error.note_empty", "a note needs text")
        self._change("note", official.phone, channel, note.strip(), **self._taken_by_official())

    def resolve_referral(self, official: Staff, note: str | None = None, channel: str = "sms") -> None:
        """The official closes a case referred to them (its holder may open it again with BUKA)."""
        self._require_referred_to(official)
        self._change(
            "resolved",
            official.phone,
            channel,
            note,
            status="resolved",
            resolved_at=_NOW,
            next_escalation_at=None,
            **self._taken_by_official(),
        )

    def _require_referred_to(self, official: Staff) -> None:
        """An official acts only on a case referred to them and still referred."""
        if official.role != "official" or self.referred_to != official.phone or self.status != "referred":
            raise CaseError("case.error.not_yours", "only the official it was referred to")

    def _taken_by_official(self) -> dict[str, object]:
        """What an official's note or resolution says besides: they have taken the referral, nothing to remind."""
        return {"referral_accepted_at": self.referral_accepted_at or _NOW, "referral_due_at": None}

    def resolve(self, staff: Staff, note: str | None = None, channel: str = "sms") -> None:
        """Close the case."""
        _require_handler(staff)
        if self.status == "resolved":
            raise CaseError("case.error.already", "case is resolved")
        self._change(
            "resolved",
            staff.phone,
            channel,
            note,
            status="resolved",
            resolved_at=_NOW,
            next_escalation_at=None,
            referral_due_at=None,
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
        return self._in_scope(_staff_in_order(roles, self.village))

    def escalation_recipients(self, level: int) -> list[Staff]:
        """Level 1: every organiser and coordinator again; level 2: the officials."""
        roles = ("organizer", "coordinator") if level == 1 else ("official",)
        return self._in_scope(_staff_in_order(roles, self.village))

    def _in_scope(self, staff: list[Staff]) -> list[Staff]:
        """Leave out the village heads of other villages: a village head hears only of their own village's cases."""
        return [m for m in staff if not (m.role == "official" and m.village and m.village != self.village)]

    def may_share_identity_with(self, staff: Staff) -> bool:
        """Organisers and coordinators see who reported; an official only once the case is referred to them (or
        their agency) with the reporter's consent (DESIGN "Safety": officials get aggregates otherwise)."""
        if staff.role != "official":
            return True
        return self.consent_to_refer and self.may_read(staff)

    def may_see_status(self, phone: str) -> bool:
        """Only the reporter's number, the safe number once it has written, and active staff may ask for a case's
        status."""
        if phone == self.reporter_phone or (phone == self.safe_phone and self.safe_phone_seen_at is not None):
            return True
        return Staff.for_phone(phone) is not None

    @classmethod
    def safe_phone_is(cls, phone: str) -> peewee.Expression:
        """Where the case's safe number is `phone`: compared by its lookup hash (the number itself is encrypted)."""
        return cls.safe_phone_hash == lookup_hash(phone)

    @classmethod
    def reported_from(cls, phone: str) -> peewee.ModelSelect[Case]:
        """Cases reported from this phone or naming it as a safe number that has written, newest first."""
        return (
            cls.select()
            .where((cls.reporter_phone == phone) | (cls.safe_phone_is(phone) & cls.safe_phone_seen_at.is_null(False)))
            .order_by(cls.created_at.desc(), cls.id.desc())
        )

    @classmethod
    def open_reported_from(cls, phone: str) -> peewee.ModelSelect[Case]:
        """Open cases reported from this phone or naming it as a safe number that has written, oldest first (a number
        only typed in by a reporter gains nothing: neither STATUS nor a hold on its own erasure)."""
        named = cls.safe_phone_is(phone) & cls.safe_phone_seen_at.is_null(False)
        return (
            cls.select()
            .where(((cls.reporter_phone == phone) | named) & cls.status.in_(OPEN_STATUSES))
            .order_by(cls.created_at, cls.id)
        )

    def note_erasure_request(self, phone: str, now: dt.datetime | None = None) -> bool:
        """Record that `phone` asked for its data to be erased while the case is open; True if it had asked within
        ERASURE_ALERT_EVERY already (its staff are told at most once a day, however often HAPUS comes)."""
        now = now or utcnow()
        earlier = (
            CaseEvent.select()
            .where(
                (CaseEvent.case == self.id)
                & (CaseEvent.kind == "erasure_asked")
                & (CaseEvent.created_at > now - ERASURE_ALERT_EVERY)
            )
            .exists()
        )
        self.record("erasure_asked", phone, "sms")
        return earlier

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
    def held_by(cls, phone: str) -> list[Case]:
        """The open cases this number holds (it took them), oldest first: what leaving the staff hands over."""
        return list(
            cls.select().where(cls.status.in_(OPEN_STATUSES) & (cls.assignee == phone)).order_by(cls.created_at, cls.id)
        )

    def hand_over(self, holder: Staff, actor: str, channel: str = "cli") -> None:
        """`holder` now holds the case (its status stays): a `handover` event whose note is the new holder's
        number, so the timeline says who held it when. A case always has a holder once taken."""
        _require_handler(holder)
        self._change("handover", actor, channel, holder.phone, assignee=holder.phone)

    @classmethod
    def referred_to_official(cls, official: Staff) -> peewee.ModelSelect[Case]:
        """Referred cases waiting for this official (DETAIL), oldest first."""
        return (
            cls.select()
            .where((cls.status == "referred") & (cls.referred_to == official.phone))
            .order_by(cls.referred_at, cls.id)
        )

    # Talking with the reporter -------------------------------------------------------------------------------

    @classmethod
    def flood_target(cls, phone: str, now: dt.datetime | None = None) -> Case | None:
        """When this number has opened REPORTS_PER_DAY cases today (local day), the open case its next report joins
        as a message instead of opening another; None while it may still open one (or has no open case)."""
        now = now or utcnow()
        local_midnight = to_utc(to_local(now).replace(hour=0, minute=0, second=0, microsecond=0))
        sql = prepared(  # on every report's last step, inside its transaction: written once (0.9 ms built by peewee)
            "case.opened_since",
            lambda: cls.select(peewee.fn.COUNT(cls.id)).where(
                (cls.reporter_phone == "") & (cls.created_at >= dt.datetime(2000, 1, 1))
            ),
        )
        [(opened,)] = cls._meta.database.execute_sql(sql, (phone, local_midnight)).fetchall()
        if opened < SETTINGS.reports_per_day:
            return None
        return (
            cls.select()
            .where((cls.reporter_phone == phone) & cls.status.in_(OPEN_STATUSES))
            .order_by(cls.created_at.desc(), cls.id.desc())
            .first()
        )

    @classmethod
    def open_for_sender(cls, phone: str) -> Case | None:
        """The open case an SMS from this phone joins: the newest it reported or names it as the safe number of."""
        return (
            cls.select()
            .where(((cls.reporter_phone == phone) | cls.safe_phone_is(phone)) & cls.status.in_(OPEN_STATUSES))
            .order_by(cls.created_at.desc(), cls.id.desc())
            .first()
        )

    def heard_from_safe_phone(self, now: dt.datetime | None = None) -> None:
        """A message came from the safe number: from now on it is the number the case's news and answers go to."""
        if self.safe_phone_seen_at is None:
            self.safe_phone_seen_at = now or utcnow()
            Case.update(safe_phone_seen_at=self.safe_phone_seen_at).where(
                (Case.id == self.id) & Case.safe_phone_seen_at.is_null()
            ).execute()

    def has_message(self, phone: str, text: str, since: dt.datetime) -> bool:
        """True if this number's words `text` joined the case since `since` (a replayed step adds nothing twice)."""
        recent = CaseEvent.select(CaseEvent.note).where(
            (CaseEvent.case == self.id)
            & (CaseEvent.kind == "message")
            & (CaseEvent.actor == phone)
            & (CaseEvent.created_at >= since)
        )
        return any(event.note == text.strip() for event in recent)  # notes are encrypted: compared once opened

    def record_message(self, phone: str, text: str, channel: str = "sms") -> bool:
        """The reporter (or the safe number) wrote again: a `message` event with the words. The first message from
        the safe number makes it the number the case's answers go to (DESIGN "The SMS report").

        True if staff are to be told now: at most once per MESSAGE_ALERT_EVERY however many come (all are kept).
        """
        now = utcnow()
        if phone == self.safe_phone:
            self.heard_from_safe_phone(now)
        self.record("message", phone, channel, text.strip(), MESSAGE_MAX)
        quiet_since = now - MESSAGE_ALERT_EVERY
        claimed = (
            Case.update(message_alert_at=now, updated_at=now)
            .where((Case.id == self.id) & (Case.message_alert_at.is_null() | (Case.message_alert_at <= quiet_since)))
            .execute()
        )
        if claimed:
            self.message_alert_at = now
        else:
            Case.update(updated_at=now).where(Case.id == self.id).execute()
        self.updated_at = now
        return bool(claimed)

    def message_recipients(self) -> list[Staff]:
        """Who hears that the reporter wrote: whoever holds the case; when nobody does (or its holder left), the
        organisers and coordinators its alert went to."""
        holder = Staff.for_phone(self.assignee) if self.assignee else None
        if holder is not None:
            return [holder]
        return [member for member in self.alert_recipients() if member.role in HANDLER_ROLES]

    # A referral nobody took -----------------------------------------------------------------------------------

    @classmethod
    def due_referral_reminders(cls, now: dt.datetime) -> peewee.ModelSelect[Case]:
        """Referred cases whose official has not taken them by their due time and was not reminded yet."""
        return cls.select().where(
            (cls.status == "referred") & (cls.referral_due_at <= now) & cls.referral_reminded_at.is_null()
        )

    def claim_referral_reminder(self) -> bool:
        """Mark the referral reminded if it is still referred, untaken, due and not reminded; once."""
        now = utcnow()
        claimed = (
            Case.update(referral_reminded_at=now, referral_due_at=None, updated_at=now)
            .where(
                (Case.id == self.id)
                & (Case.status == "referred")
                & (Case.referral_due_at <= now)
                & Case.referral_accepted_at.is_null()
                & Case.referral_reminded_at.is_null()
            )
            .execute()
        )
        if claimed:
            self.referral_reminded_at, self.referral_due_at, self.updated_at = now, None, now
            self.record("referral_reminded", "system", "system", self.referred_agency)
        return bool(claimed)

    def referred_official(self) -> Staff | None:
        """The official the case is referred to, while they are active staff."""
        return Staff.for_phone(self.referred_to) if self.referred_to else None

    def referral_news_recipients(self) -> list[Staff]:
        """Who hears what the official did: the case's holder; when they left, the coordinators."""
        holder = Staff.for_phone(self.assignee) if self.assignee else None
        return [holder] if holder is not None else Staff.coordinators()

    def holder(self) -> Staff | None:
        """Who holds the open case (took or referred it), if anyone does."""
        if self.status not in OPEN_STATUSES or not self.assignee:
            return None
        return Staff.get_or_none(Staff.phone == self.assignee)

    def alerted_handlers(self) -> list[Staff]:
        """The organisers and coordinators who were told of the case (its alert, an escalation, the reporter's
        messages while nobody held it): whom to tell once someone takes it."""
        told = [member for member in self.alert_recipients() if member.role in HANDLER_ROLES]
        if self.escalation_level >= 1:
            told += [member for member in self.escalation_recipients(1) if member not in told]
        return told

    def reply_phone(self) -> str:
        """Where an organiser's answer (BALAS) goes: the safe number once a message came from it (a reporter who
        gave one did not want SMS on their own); else the reporter's own number only when they said SMS to it is
        safe and it was never marked unsafe. CaseError (why not) otherwise."""
        if self.safe_phone:
            if self.safe_phone_seen_at is None:
                raise CaseError("case.talk.reply.safe_silent", "the safe number has not written yet")
            return self.safe_phone
        person = Person.for_phone(self.reporter_phone)
        if not self.safe_to_contact or (person is not None and person.unsafe_at is not None):
            raise CaseError("case.talk.reply.unsafe", "SMS to the reporter is not safe")
        return self.reporter_phone

    def record_reply(self, staff: Staff, text: str, channel: str = "sms") -> str:
        """An organiser answers the reporter through the service number: a `reply` event; returns where it goes.
        CaseError if they may not, the text is empty, or there is no safe number to send it to."""
        _require_handler(staff)
        if not text.strip():
            raise CaseError("case.usage.balas", "an answer needs text")
        phone = self.reply_phone()
        self.record("reply", staff.phone, channel, text.strip())
        self.updated_at = utcnow()
        self.save(only=[Case.updated_at])
        return phone

    def may_read(self, staff: Staff) -> bool:
        """The scope rule (DETAIL, the console): organisers and coordinators read every case of the area; an
        official a case referred to their agency, or to them (a village head: only that); nobody else any.
        `readable_by` is the same rule as a query."""
        if staff.role in HANDLER_ROLES:
            return True
        if staff.role != "official":
            return False
        agency = staff.referral_agency
        return self.referred_to == staff.phone or (agency is not None and self.referred_agency == agency)

    @classmethod
    def readable_by(cls, staff: Staff) -> peewee.ModelSelect[Case]:
        """The cases `may_read` lets this staff member read, as a query (the console's lists)."""
        if staff.role in HANDLER_ROLES:
            return cls.select()
        if staff.role != "official":
            return cls.select().where(cls.id.is_null())
        mine = cls.referred_to == staff.phone
        agency = staff.referral_agency
        return cls.select().where(mine | (cls.referred_agency == agency) if agency is not None else mine)

    def latest_words(self, limit: int = WORDS_SHOWN) -> list[CaseEvent]:
        """The reporter's later messages and the staff's notes and answers, newest first (DETAIL)."""
        return list(
            self.events.where(CaseEvent.kind.in_(WORD_KINDS) & CaseEvent.note.is_null(False))
            .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc())
            .limit(limit)
        )

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


class _Now:
    """Marker: set this field to the time of the change."""


_NOW = _Now()

ERASURE_ALERT_EVERY = dt.timedelta(days=1)
"""Staff hear of a HAPUS from a number with an open case at most this often."""

HANDLER_ROLES = ("organizer", "coordinator")
"""Roles that take, note, refer, resolve and reopen cases; officials acknowledge referrals."""


def _require_handler(staff: Staff) -> None:
    if staff.role not in HANDLER_ROLES:
        raise CaseError("case.error.role", f"{staff.role} cannot do that")


def referral_official(agency: str | None = None, village: str | None = None) -> Staff | None:
    """Who RUJUK refers a case to: an active official of the named agency, first by name. With no agency named,
    one of disnaker's, else the head of the case's `village`; never another village's head. None: nobody."""
    officials = Staff.officials_of(agency or DEFAULT_AGENCY)
    if officials:
        return officials[0]
    if agency is None and village:
        return Staff.village_head(village)
    return None


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
