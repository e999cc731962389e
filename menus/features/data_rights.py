"""People's data rights (UU 27/2022): `DATA` shows what the service holds about the sender; `HAPUS` erases it
after a confirmation, unless a case they reported is still open (then the organisers are told instead).

What an erasure clears, and when it must not, is `models.data_rights.erase`; this module holds the words.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import Feature, Keyword, fixed_sample, longest_label
from menus.notify import notify
from menus.screens import End, Input, Switch
from menus.turn import FlowTurn
from models import Person, database
from models.case_erasure import erasure_recipients, note_erasure_request
from models.data_rights import erase
from models.person import COUNTRIES
from models.phones import mask
from models.settings import to_local

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ROOT = "rights.erase"
"""The confirmation question `HAPUS` starts."""

YES = frozenset({"1", "YA", "Y", "IYA", "YES", "INGGIH", "NGGIH"})
NO = frozenset({"2", "TIDAK", "TDK", "NO", "ORA", "MBOTEN", "BATAL"})
"""Answers to the confirmation, in every language (a number or a word)."""


def validate_confirmation(text: str) -> tuple[str | None, str | None]:
    """YA/1 (yes) or TIDAK/2 (no), in any language; anything else asks again."""
    word = text.strip().upper().strip(".,!?")
    if word in YES:
        return "yes", None
    if word in NO:
        return "no", None
    return None, "error.confirmation"


def _label(prefix: str, value: str | None, language: str) -> str:
    return catalog.text(f"{prefix}{value}", language) if value else "-"


def data_params(person: Person | None, language: str) -> dict[str, str]:
    """What `DATA` shows: each field the service holds about the person, "-" where it holds nothing."""
    consent_at = person.consent_at if person else None
    return {
        "name": (person.name if person else None) or "-",
        "village": (person.village if person else None) or "-",
        "person_status": _label("status_short.", person.status if person else None, language),
        "person_country": _label("country.", person.country if person else None, language),
        "language_name": catalog.text(f"language.{language}", language),
        "consent_date": to_local(consent_at).strftime("%d/%m/%Y") if consent_at else "-",
    }


def _data(turn: SmsTurn, found: Match) -> None:
    person = turn.person
    holds = person is not None and any((person.name, person.village, person.status, person.country, person.consent_at))
    turn.reply("sms.data" if holds else "sms.data_none", data_params(person, turn.language) if holds else None)


def _erase(turn: SmsTurn, found: Match) -> None:
    turn.start_flow(ROOT)


def erase_data(turn: FlowTurn) -> str | None:
    """Erase the caller's data; with a case of theirs still open, erase nothing and tell its organisers."""
    with database.atomic():
        open_cases = erase(turn.phone)
    turn.lookups.forget(turn.phone)
    if not open_cases:
        log.info("erased the data of %s on their request", mask(turn.phone))
        return None
    codes = ", ".join(case.display_code for case in open_cases)
    with database.atomic():
        told_lately = [note_erasure_request(case, turn.phone) for case in open_cases]
    if any(told_lately):
        log.info("erasure asked again by %s within a day: staff were told already", mask(turn.phone))
        return "rights.erase_case_open"
    staff = {member.phone: member for case in open_cases for member in erasure_recipients(case)}
    for member in staff.values():
        turn.lookups.remember_staff(member)
        turn.queued(
            notify(
                member.phone,
                "staff.erase_request",
                {"phone": turn.phone, "codes": codes},
                "alert",
                lookups=turn.lookups,
            )
        )
    log.info("erasure asked by %s kept: open case(s) %s; %s staff told", mask(turn.phone), codes, len(staff))
    return "rights.erase_case_open"


FEATURE = Feature(
    name="data_rights",
    roots=(ROOT,),
    screens=(
        Input(ROOT, "rights.erase_confirm", store="erase", validator="confirmation", next="rights.erase.after"),
        Switch("rights.erase.after", cases=(("erase_confirmed", "rights.erased"),), default="rights.kept"),
        End("rights.erased", "rights.erased", action="erase_data", other_texts=("rights.erase_case_open",)),
        End("rights.kept", "rights.kept"),
    ),
    conditions={"erase_confirmed": lambda turn: turn.answers.get("erase") == "yes"},
    actions={"erase_data": erase_data},
    validators={"confirmation": validate_confirmation},
    keywords=(
        Keyword("DATA", ("DATAKU", "MYDATA"), _data),
        Keyword("HAPUS", ("DELETE", "ERASE", "BUSAK"), _erase, interrupts_text=True),
    ),
    sms_samples={
        "person_status": longest_label("status_short."),
        "person_country": lambda catalogs, language: max(
            (catalogs.text(f"country.{c}", language) for c in COUNTRIES), key=len
        ),
        "language_name": lambda catalogs, language: max(
            (catalogs.text(f"language.{code}", language) for code in catalog.LANGUAGES), key=len
        ),
        "consent_date": fixed_sample("31/12/2026"),
    },
)
"""`DATA` and `HAPUS` by SMS, in every language."""
