"""Data rights (UU 27/2022) across the records that hold a person: erasure, above the person and case models."""

from __future__ import annotations

from models.base import utcnow
from models.case import Case
from models.conversation import Conversation
from models.message import Message
from models.person import Person
from models.report_draft import ReportDraft

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


def erase(phone: str) -> list[Case]:
    """Erase what the service holds about this phone (ERASED_FIELDS, its conversation, its unfinished
    report, the texts of its messages) and opt it out; call inside a transaction.

    Unless a case reported from this phone (or naming it as the safe number) is still open: then nothing is
    erased, since the case keeps what it needs until it closes and one SMS from a phone someone else may
    hold is no ground to destroy its evidence; the open cases are returned, for the organisers to be told.
    """
    open_cases = list(Case.open_reported_from(phone))
    if open_cases:
        return open_cases
    person = Person.contact(phone)
    person.update_fields(**dict.fromkeys(ERASED_FIELDS), opted_out_at=person.opted_out_at or utcnow())
    Conversation.delete().where(Conversation.phone == phone).execute()
    ReportDraft.delete().where(ReportDraft.phone == phone).execute()
    (
        Message.update(text="", updated_at=utcnow())
        .where((Message.phone == phone) & Message.status.in_(SETTLED_MESSAGE_STATUSES))
        .execute()
    )
    return []
