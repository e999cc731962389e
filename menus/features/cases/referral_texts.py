"""The SMS of a referral: the case's summary for the official, what the official did passed back to the case's
holder, and the reminder of a referral nobody took (to the official, and the coordinators told).

Who is told is decided by `models.case_referral`; this module turns those decisions into catalog texts, each in its
recipient's language, every free text (a story, an official's note) cut to keep the SMS within its budget.
"""

from __future__ import annotations

from menus import catalog
from menus.features.cases import notices
from menus.fitting import cut_to_fit
from menus.notify import language_for, notify
from menus.turn import Lookups
from models.case import Case
from models.case_access import may_share_identity_with
from models.case_referral import referral_news_recipients, referred_official
from models.gsm import fold_to_gsm7
from models.message import Outgoing
from models.staff import Staff

AGENCY_WORDS = {
    "DISNAKER": "disnaker",
    "DISNAKERTRANS": "disnaker",
    "DINAS": "disnaker",
    "BP3MI": "bp3mi",
    "BP2MI": "bp3mi",
    "KP2MI": "bp3mi",
    "POLISI": "polisi",
    "POLRES": "polisi",
    "POLSEK": "polisi",
    "POLICE": "polisi",
    "KBRI": "kbri",
    "KJRI": "kbri",
    "EMBASSY": "kbri",
}
"""The words RUJUK <code> <agency> understands (any case), to the agency (`models.staff.AGENCIES`)."""

PASSED_BACK = "referral_news"
"""The purpose of what an official did, passed back to the case's holder (staff only, at once)."""

REMINDER = "referral_reminder"
"""The purpose of the reminder of a referral nobody took (staff only; waits out quiet hours: nothing urgent)."""


def agency_label(agency: str | None, language: str) -> str:
    """The agency's name as staff read it; a village head's title when there is no agency."""
    return catalog.text(f"case.agency.{agency or 'village'}", language)


def official_label(official: Staff, language: str) -> str:
    """The official as staff read them: their name and, in brackets, their agency or "village head"."""
    return catalog.text(
        "case.official_label",
        language,
        {"name": fold_to_gsm7(official.name), "agency": agency_label(official.referral_agency, language)},
    )


def _free_text(value: str | None) -> str:
    return fold_to_gsm7(" ".join((value or "").split()))


def _with_cut(key: str, language: str, params: dict[str, str], part_key: str, name: str, value: str) -> dict[str, str]:
    """`params` with `details`: the part `part_key` carrying `value` cut so that `key` fits its budget (or "")."""

    def with_value(cut: str) -> dict[str, str]:
        details = " " + catalog.text(part_key, language, {name: cut}) if cut else ""
        return {**params, "details": details}

    def render(cut: str) -> str:
        return catalog.text(key, language, with_value(cut))

    return with_value(cut_to_fit(render, value))


def to_official(case: Case, official: Staff, lookups: Lookups) -> Outgoing:
    """The referred case's summary for the official in their language; the reporter's contact and story only
    with the reporter's consent (`case_access.may_share_identity_with`), the story cut to keep the SMS in budget."""
    language = language_for(official.phone, lookups)
    params = notices.staff_params(case, language, official)
    story = _free_text(case.story) if may_share_identity_with(case, official) else ""
    params = _with_cut("case.refer.to_official", language, params, "case.refer.story", "story", story)
    return notify(official.phone, "case.refer.to_official", params, "alert", language=language, lookups=lookups)


def to_holder(case: Case, official: Staff, key: str, lookups: Lookups, note: str | None = None) -> list[Outgoing]:
    """What the official did (`key`: taken, noted, resolved) to the case's holder (`referral_news_recipients`),
    with the official's note cut to fit."""
    written = []
    for member in referral_news_recipients(case):
        lookups.remember_staff(member)
        language = language_for(member.phone, lookups)
        params = {**notices.staff_params(case, language, member), "official": official_label(official, language)}
        params = _with_cut(key, language, params, "case.referral.note_part", "official_note", _free_text(note))
        written.append(notify(member.phone, key, params, PASSED_BACK, language=language, lookups=lookups))
    return written


def reminders(case: Case, days: int, lookups: Lookups) -> list[Outgoing]:
    """A referral nobody took: the official reminded, the coordinators told (each in their language)."""
    extra = {"days": str(days)}
    official = referred_official(case)
    written = []
    if official is not None:
        written += notices.to_staff([official], "case.referral.reminder", case, REMINDER, lookups, extra)
    holder = Staff.for_phone(case.assignee) if case.assignee else None
    for member in Staff.coordinators():
        lookups.remember_staff(member)
        language = language_for(member.phone, lookups)
        params = {
            **notices.staff_params(case, language, member),
            **extra,
            "official": official_label(official, language)
            if official
            else agency_label(case.referred_agency, language),
            "name": fold_to_gsm7(holder.name) if holder else "-",
        }
        written.append(
            notify(member.phone, "case.referral.overdue", params, REMINDER, language=language, lookups=lookups)
        )
    return written
