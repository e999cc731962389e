"""Safe-migration information: USSD screens and `INFO [AMAN|HAK|KONTAK]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword, MenuEntry
from menus.screens import MAIN_MENU, Menu, Option

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

ROOT = "info"

TOPICS = ("safe", "rights", "contacts", "keywords")
"""Info topics in menu order; each has a label `info.<topic>` and a text `info.<topic>.text`."""

SMS_TOPICS = {
    "AMAN": "info.safe.text",
    "SAFE": "info.safe.text",
    "MIGRASI": "info.safe.text",
    "HAK": "info.rights.text",
    "RIGHTS": "info.rights.text",
    "KONTAK": "info.contacts.text",
    "CONTACT": "info.contacts.text",
    "CONTACTS": "info.contacts.text",
}
"""Words after `INFO` that name a topic."""


def _info(turn: SmsTurn, found: Match) -> None:
    topic = SMS_TOPICS.get(found.argument.split()[0].upper() if found.argument else "")
    turn.reply(topic or "sms.info.menu")


FEATURE = Feature(
    name="info",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.info", ROOT), order=50),),
    roots=(ROOT,),
    screens=(
        Menu(ROOT, "info.title", options=tuple(Option(f"info.{t}", f"info.{t}") for t in TOPICS)),
        *(Menu(f"info.{t}", f"info.{t}.text") for t in TOPICS),
    ),
    keywords=(Keyword("INFO", ("INFORMASI", "INFORMATION"), _info),),
)
"""Information screens and the INFO keyword."""
