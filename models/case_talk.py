"""Talking with the reporter after the report: their later messages (and the safe number's), a flood of reports
turned into messages, staff hearing of them, an organiser's answer (BALAS) and the words DETAIL reads."""

from __future__ import annotations

import datetime as dt

import peewee

from models.base import prepared, utcnow
from models.case import HANDLER_ROLES, Case, CaseEvent, require_handler
from models.case_alerts import alert_recipients
from models.case_terms import OPEN_STATUSES, CaseError
from models.person import Person
from models.settings import SETTINGS, to_local, to_utc
from models.staff import Staff

MESSAGE_ALERT_EVERY = dt.timedelta(hours=1)
"""Staff hear of a reporter's messages at most this often per case (a flood is kept, not forwarded SMS by SMS)."""

MESSAGE_MAX = 1530
"""The longest reporter's message a case keeps whole (ten SMS segments; an SMS longer still is cut)."""

WORD_KINDS = ("message", "note", "reply", "resolved", "reopened")
"""Timeline events whose note is someone's words: the reporter's messages, the staff's notes and answers."""

WORDS_SHOWN = 20
"""The most timeline words DETAIL reads (what fits its SMS is fewer)."""


def flood_target(phone: str, now: dt.datetime | None = None) -> Case | None:
    """When this number has opened REPORTS_PER_DAY cases today (local day), the open case its next report joins
    as a message instead of opening another; None while it may still open one (or has no open case)."""
    now = now or utcnow()
    local_midnight = to_utc(to_local(now).replace(hour=0, minute=0, second=0, microsecond=0))
    sql = prepared(  # on every report's last step, inside its transaction: written once (0.9 ms built by peewee)
        "case.opened_since",
        lambda: Case.select(peewee.fn.COUNT(Case.id)).where(
            (Case.reporter_phone == "") & (Case.created_at >= dt.datetime(2000, 1, 1))
        ),
    )
    [(opened,)] = Case._meta.database.execute_sql(sql, (phone, local_midnight)).fetchall()
    if opened < SETTINGS.reports_per_day:
        return None
    return (
        Case.select()
        .where((Case.reporter_phone == phone) & Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .first()
    )


def open_for_sender(phone: str) -> Case | None:
    """The open case an SMS from this phone joins: the newest it reported or names it as the safe number of."""
    return (
        Case.select()
        .where(((Case.reporter_phone == phone) | Case.safe_phone_is(phone)) & Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .first()
    )


def heard_from_safe_phone(case: Case, now: dt.datetime | None = None) -> None:
    """A message came from the safe number: from now on it is the number the case's news and answers go to."""
    if case.safe_phone_seen_at is None:
        case.safe_phone_seen_at = now or utcnow()
        Case.update(safe_phone_seen_at=case.safe_phone_seen_at).where(
            (Case.id == case.id) & Case.safe_phone_seen_at.is_null()
        ).execute()


def has_message(case: Case, phone: str, text: str, since: dt.datetime) -> bool:
    """True if this number's words `text` joined the case since `since` (a replayed step adds nothing twice)."""
    recent = CaseEvent.select(CaseEvent.note).where(
        (CaseEvent.case == case.id)
        & (CaseEvent.kind == "message")
        & (CaseEvent.actor == phone)
        & (CaseEvent.created_at >= since)
    )
    return any(event.note == text.strip() for event in recent)  # notes are encrypted: compared once opened


def record_message(case: Case, phone: str, text: str, channel: str = "sms") -> bool:
    """The reporter (or the safe number) wrote again: a `message` event with the words. The first message from
    the safe number makes it the number the case's answers go to (DESIGN "The SMS report").

    True if staff are to be told now: at most once per MESSAGE_ALERT_EVERY however many come (all are kept).
    """
    now = utcnow()
    if phone == case.safe_phone:
        heard_from_safe_phone(case, now)
    case.record("message", phone, channel, text.strip(), MESSAGE_MAX)
    quiet_since = now - MESSAGE_ALERT_EVERY
    claimed = (
        Case.update(message_alert_at=now, updated_at=now)
        .where((Case.id == case.id) & (Case.message_alert_at.is_null() | (Case.message_alert_at <= quiet_since)))
        .execute()
    )
    if claimed:
        case.message_alert_at = now
    else:
        Case.update(updated_at=now).where(Case.id == case.id).execute()
    case.updated_at = now
    return bool(claimed)


def message_recipients(case: Case) -> list[Staff]:
    """Who hears that the reporter wrote: whoever holds the case; when nobody does (or its holder left), the
    organisers and coordinators its alert went to."""
    holder = Staff.for_phone(case.assignee) if case.assignee else None
    if holder is not None:
        return [holder]
    return [member for member in alert_recipients(case) if member.role in HANDLER_ROLES]


def reply_phone(case: Case) -> str:
    """Where an organiser's answer (BALAS) goes: the safe number once a message came from it (a reporter who
    gave one did not want SMS on their own); else the reporter's own number only when they said SMS to it is
    safe and it was never marked unsafe. CaseError (why not) otherwise."""
    if case.safe_phone:
        if case.safe_phone_seen_at is None:
            raise CaseError("case.talk.reply.safe_silent", "the safe number has not written yet")
        return case.safe_phone
    person = Person.for_phone(case.reporter_phone)
    if not case.safe_to_contact or (person is not None and person.unsafe_at is not None):
        raise CaseError("case.talk.reply.unsafe", "SMS to the reporter is not safe")
    return case.reporter_phone


def record_reply(case: Case, staff: Staff, text: str, channel: str = "sms") -> str:
    """An organiser answers the reporter through the service number: a `reply` event; returns where it goes.
    CaseError if they may not, the text is empty, or there is no safe number to send it to."""
    require_handler(staff)
    if not text.strip():
        raise CaseError("case.usage.balas", "an answer needs text")
    phone = reply_phone(case)
    case.record("reply", staff.phone, channel, text.strip())
    case.updated_at = utcnow()
    case.save(only=[Case.updated_at])
    return phone


def latest_words(case: Case, limit: int = WORDS_SHOWN) -> list[CaseEvent]:
    """The reporter's later messages and the staff's notes and answers, newest first (DETAIL)."""
    return list(
        case.events.where(CaseEvent.kind.in_(WORD_KINDS) & CaseEvent.note.is_null(False))
        .order_by(CaseEvent.created_at.desc(), CaseEvent.id.desc())
        .limit(limit)
    )
