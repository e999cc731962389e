"""Every SMS about a case, written through the sending policy in each recipient's language.

Who is told is decided by `models.case_alerts`; this module only turns those decisions into catalog texts.
Texts to reporters use neutral words (no category, never "trafficking"): a worker's phone may be watched.
"""

from __future__ import annotations

from menus import catalog
from menus.notify import language_for, notify
from menus.turn import Lookups
from models.case import Case
from models.case_access import may_share_identity_with
from models.case_alerts import alert_recipients, escalation_recipients
from models.message import Outgoing
from models.staff import Staff


def staff_params(case: Case, language: str, member: Staff) -> dict[str, str]:
    """What a staff member reads about a case, in their language: code, severity, category, country, for whom,
    and the number to call when contact is safe (never to an official before a referral with consent)."""
    contact = case.call_phone
    if contact and not may_share_identity_with(case, member):
        return {**_common(case, language), "contact": catalog.text("case.contact_hidden", language)}
    return {
        **_common(case, language),
        "contact": catalog.text("case.contact_safe", language, {"phone": contact})
        if contact
        else catalog.text("case.contact_unsafe", language),
    }


def _common(case: Case, language: str) -> dict[str, str]:
    return {
        "code": case.display_code,
        "urgent": catalog.text("case.urgent_mark", language) if case.severity == "urgent" else "",
        "category": catalog.text(f"case.category_short.{case.category}", language),
        "country": catalog.text(f"country.{case.country}", language) if case.country else "-",
        "for_whom": catalog.text(f"case.for_short.{case.for_whom}", language),
    }


def to_staff(
    staff: list[Staff], key: str, case: Case, purpose: str, lookups: Lookups, extra: dict[str, str] | None = None
) -> list[Outgoing]:
    """Write one case text to each staff member, in their own language."""
    written = []
    for member in staff:
        lookups.remember_staff(member)
        language = language_for(member.phone, lookups)
        params = {**staff_params(case, language, member), **(extra or {})}
        written.append(notify(member.phone, key, params, purpose, language=language, lookups=lookups))
    return written


def new_case(case: Case, lookups: Lookups) -> list[Outgoing]:
    """A new case: the alert to whoever the case's rules name, and its `confirmation`."""
    return [*alerts(case, lookups), *confirmation(case, lookups)]


def alerts(case: Case, lookups: Lookups) -> list[Outgoing]:
    """The new case's alert to whoever the case's rules name (officials without the reporter's number)."""
    key = "case.alert_incomplete" if case.incomplete else "case.alert"
    recipients = alert_recipients(case)
    handlers = [member for member in recipients if member.role != "official"]
    officials = [member for member in recipients if member.role == "official"]
    written = to_staff(handlers, key, case, "alert", lookups)
    written += to_staff(officials, "case.alert_official", case, "alert", lookups)  # they cannot TERIMA it yet
    return written


def confirmation(case: Case, lookups: Lookups) -> list[Outgoing]:
    """For a USSD report, the reporter's neutral confirmation when SMS to their number is safe (an SMS report's end
    screen is its one confirmation; a safe number hears nothing until it writes)."""
    if case.channel != "ussd" or not case.safe_to_contact or case.safe_phone:
        return []
    return [
        notify(case.reporter_phone, "case.confirmation", {"code": case.display_code}, "confirmation", lookups=lookups)
    ]


def escalation(case: Case, level: int, lookups: Lookups) -> list[Outgoing]:
    """An unacknowledged case, told again (level 1: organisers and coordinators; level 2: officials)."""
    return to_staff(escalation_recipients(case, level), f"case.escalation.{level}", case, "escalation", lookups)


def news_for_reporter(case: Case, lookups: Lookups) -> list[Outgoing]:
    """The case's new status, in neutral words, to its safe contact (nothing when contact is not safe)."""
    contact = case.contact_phone
    if contact is None:
        return []
    return [notify(contact, f"case.news.{case.status}", {"code": case.display_code}, "case_news", lookups=lookups)]
