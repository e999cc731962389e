"""The one way an SMS leaves the service: pick the recipient's language, apply the sending policy, write the row.

Callers run inside the transaction of the change that causes the SMS and enqueue the returned
`Outgoing` once it commits (`workers.sms_jobs.enqueue_after_commit`). A refused SMS is a row with status
`refused` and the reason, never a silent drop.
"""
from __future__ import annotations

from menus import catalog
from menus.turn import Lookups
from models import Message, utcnow
from models.message import Outgoing
from models.sending_policy import Recipient, decide, purpose_named
from models.settings import SETTINGS


def language_for(phone: str, lookups: Lookups) -> str:
    """The language this phone chose (as staff first, else as a person), else the service default."""
    staff = lookups.staff(phone)
    if staff is not None and staff.language:
        return staff.language
    person = lookups.person(phone)
    return (person.language if person else None) or SETTINGS.default_language


def recipient(phone: str, lookups: Lookups) -> Recipient:
    """What the sending policy needs to know of a number."""
    person = lookups.person(phone)
    return Recipient(
        phone=phone,
        is_staff=lookups.staff(phone) is not None,
        opted_out=bool(person and person.opted_out_at),
        unsafe=bool(person and person.unsafe_at),
    )


def notify(phone: str, text_key: str, params: dict[str, str] | None = None, purpose: str = "reply", *,
           language: str | None = None, lookups: Lookups | None = None) -> Outgoing:
    """Write the SMS `text_key` for `phone` in their language, if the policy allows it, and return the row."""
    lookups = lookups or Lookups()
    language = language or language_for(phone, lookups)
    return send_text(phone, catalog.text(text_key, language, params), purpose, lookups=lookups)


def send_text(phone: str, text: str, purpose: str, *, lookups: Lookups | None = None) -> Outgoing:
    """Write an SMS already rendered in the recipient's language (a flow screen), through the same policy."""
    kind = purpose_named(purpose)
    if kind.answers_sender:  # the hot path: a reply needs no look-up
        return Message.queue_outbound(phone, text, purpose)
    verdict = decide(kind, recipient(phone, lookups or Lookups()), utcnow())
    if not verdict.allowed:
        return Message.record_refused(phone, text, purpose, verdict.reason or "refused")
    return Message.queue_outbound(phone, text, purpose, not_before=verdict.not_before)
