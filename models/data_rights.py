"""Data rights (UU 27/2022) across the records that hold a person: erasure, above the person and case models."""

from __future__ import annotations

import datetime as dt

import peewee

from models.base import database, utcnow
from models.cadre import CadreApplication
from models.case import Case, CaseEvent
from models.case_access import open_reported_from
from models.conversation import Conversation
from models.message import Message
from models.person import Person
from models.phones import national_forms
from models.report_draft import ReportDraft
from models.returnee import Returnee, ReturneeStep
from models.staff import Staff
from models.task import Task
from models.training import Enrollment

ERASED_FIELDS = (
    "name",
    "village",
    "status",
    "country",
    "consent_at",
    "consent_version",
    "registered_via",
    "registration_key",
)
"""What an erasure (`HAPUS`, UU 27/2022) clears from a person's row. The phone stays, opted out (so the opt-out
holds), with the language (to answer in it) and the unsafe mark (it protects the person)."""

SETTLED_MESSAGE_STATUSES = ("sent", "delivered", "failed", "rejected", "refused")
"""Messages whose text an erasure blanks: every one not still waiting to be sent (their rows stay, for counts)."""


ERASED_REASON = "refused: the number asked for its data to be erased (HAPUS)"
"""Why an SMS still waiting to go to an erased number never goes."""

ERASED_ACTOR = "reporter"
"""What a closed case's timeline says instead of an erased reporter's number."""


def erase(phone: str) -> list[Case]:
    """Erase what the service holds about this phone and opt it out; call inside a transaction.

    Its profile (ERASED_FIELDS), conversation and unfinished report; the story, notes and numbers of its closed
    cases (their figures stay: category, dates, status, the timeline's kinds); its training places, tasks, return
    home with its check-ins, and cadre applications (an approved one is a staff member's record); the texts of its
    messages and of staff alerts that name the number; every SMS still waiting for it.

    Unless a case reported from this phone (or naming it as the safe number) is still open: then nothing is
    erased, since the case keeps what it needs until it closes and one SMS from a phone someone else may
    hold is no ground to destroy its evidence; the open cases are returned, for the organisers to be told.
    """
    open_cases = list(open_reported_from(phone))
    if open_cases:
        return open_cases
    now = utcnow()
    person = Person.contact(phone)
    person.update_fields(**dict.fromkeys(ERASED_FIELDS), opted_out_at=person.opted_out_at or now)
    Conversation.delete().where(Conversation.phone == phone).execute()
    ReportDraft.delete().where(ReportDraft.phone == phone).execute()
    _erase_closed_cases(phone)
    Task.delete().where(Task.phone == phone).execute()
    ReturneeStep.delete().where(
        ReturneeStep.returnee.in_(Returnee.select(Returnee.id).where(Returnee.phone == phone))
    ).execute()
    Returnee.delete().where(Returnee.phone == phone).execute()
    CadreApplication.delete().where(
        (CadreApplication.phone == phone) & (CadreApplication.status != "approved")
    ).execute()
    Enrollment.delete().where(Enrollment.phone == phone).execute()
    (
        Message.update(status="refused", last_error=ERASED_REASON, text="", updated_at=now)
        .where((Message.phone == phone) & (Message.direction == "out") & (Message.status == "queued"))
        .execute()
    )
    (
        Message.update(text="", updated_at=now)
        .where((Message.phone == phone) & Message.status.in_(SETTLED_MESSAGE_STATUSES))
        .execute()
    )
    naming = _staff_texts_naming(phone)
    for start in range(0, len(naming), 500):
        batch = naming[start : start + 500]
        Message.update(text="", updated_at=now).where(Message.id.in_(batch)).execute()
    return []


def _staff_texts_naming(phone: str) -> list[int]:
    """The ids of the SMS to and from staff whose text names `phone` in any form. Texts are encrypted, so each staff
    text is opened and read here (an erasure is rare; no lookup hash could find a number inside a text)."""
    forms = (phone, *national_forms(phone))
    staff_texts = Message.select(Message.id, Message.text).where(
        Message.phone.in_(Staff.select(Staff.phone)) & (Message.text != "")
    )
    return [message.id for message in staff_texts.iterator() if any(form in message.text for form in forms)]


def _erase_closed_cases(phone: str) -> None:
    """Closed cases reported from `phone` lose their story, notes and numbers; those naming it only as their safe
    number lose that number. What they count in the figures stays."""
    for case in Case.select().where(Case.reporter_phone == phone):
        forget_case_details(case)
    Case.update(safe_phone=None, updated_at=utcnow()).where(Case.safe_phone_is(phone)).execute()


def forget_case_details(case: Case) -> None:
    """A closed case loses its story, its notes (and the reporter's messages on its timeline) and its numbers (the
    reporter's, the safe one, and where they stand as the actor of an event); its figures stay: category, status,
    dates, the timeline's kinds. Call inside a transaction."""
    numbers = [phone for phone in (case.reporter_phone, case.safe_phone) if phone]
    _forget_case_texts(case, numbers)
    CaseEvent.update(note=None).where(CaseEvent.case == case.id).execute()
    if numbers:
        CaseEvent.update(actor=ERASED_ACTOR).where((CaseEvent.case == case.id) & CaseEvent.actor.in_(numbers)).execute()
    Case.update(story=None, safe_phone=None, reporter_phone="", updated_at=utcnow()).where(Case.id == case.id).execute()


CASE_TEXT_MARGIN = dt.timedelta(hours=1)
"""SMS this long before a case opened are part of its report (LAPOR, the answers before the end)."""


def _forget_case_texts(case: Case, numbers: list[str]) -> None:
    """The texts of the SMS that repeat the case (a LAPOR with its story, the reporter's later words, the news, the
    staff alerts naming its number or code) go with its details: the reporter's and the safe number's SMS from just
    before it opened until it was resolved, and the staff SMS of that time that name its code or those numbers."""
    start = case.created_at - CASE_TEXT_MARGIN
    end = case.resolved_at or utcnow()
    during = (Message.created_at >= start) & (Message.created_at <= end) & Message.status.in_(SETTLED_MESSAGE_STATUSES)
    if numbers:
        Message.update(text="", updated_at=utcnow()).where(during & Message.phone.in_(numbers)).execute()
    forms = [case.display_code, case.code] + [form for phone in numbers for form in (phone, *national_forms(phone))]
    staff_texts = Message.select(Message.id, Message.text).where(
        during & Message.phone.in_(Staff.select(Staff.phone)) & (Message.text != "")
    )
    naming = [m.id for m in staff_texts.iterator() if any(form in m.text for form in forms)]
    for first in range(0, len(naming), 500):
        Message.update(text="", updated_at=utcnow()).where(Message.id.in_(naming[first : first + 500])).execute()


def past_retention(now: dt.datetime, days: int) -> peewee.ModelSelect[Case]:
    """Resolved cases resolved more than `days` before `now` that still hold a story, a note or a number."""
    with_notes = CaseEvent.select(CaseEvent.case).where(CaseEvent.note.is_null(False))
    holding = Case.story.is_null(False) | Case.safe_phone.is_null(False) | (Case.reporter_phone != "")
    holding |= Case.id.in_(with_notes)
    cutoff = now - dt.timedelta(days=days)
    return Case.select().where((Case.status == "resolved") & (Case.resolved_at < cutoff) & holding)


def forget_past_retention(now: dt.datetime, days: int) -> int:
    """Every resolved case past its retention (`days`, RETENTION_DAYS) keeps only its figures; return how many."""
    forgotten = 0
    for case in list(past_retention(now, days)):
        with database.atomic():
            forget_case_details(case)
        forgotten += 1
    return forgotten
