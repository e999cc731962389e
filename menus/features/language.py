"""Language: Bahasa Indonesia, Javanese or English, by USSD menu or `BAHASA [ID|JV|EN]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from menus.catalog import LANGUAGES
from menus.feature import Feature, Keyword, MenuEntry
from menus.screens import MAIN_MENU, End, Menu, Option
from menus.turn import FlowTurn
from models import Person, database

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

ROOT = "language"

LANGUAGE_WORDS = {
    "ID": "id",
    "INDONESIA": "id",
    "INDO": "id",
    "JV": "jv",
    "JAWA": "jv",
    "JAVA": "jv",
    "JAVANESE": "jv",
    "EN": "en",
    "ENGLISH": "en",
    "INGGRIS": "en",
}
"""Words after `BAHASA` that name a language."""


def save_language(turn: FlowTurn) -> None:
    """Store the chosen language and answer in it from now on."""
    language = turn.answers.get("language")
    if language not in LANGUAGES:
        return
    turn.ctx.language = language
    with database.atomic():
        Person.contact(turn.phone).update_fields(language=language)


def _bahasa(turn: SmsTurn, found: Match) -> None:
    language = LANGUAGE_WORDS.get(found.argument.split()[0].upper() if found.argument else "")
    if not language:
        turn.start_flow(ROOT)
        return
    Person.contact(turn.phone).update_fields(language=language)
    turn.language = language
    turn.reply("language.saved")


FEATURE = Feature(
    name="language",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.language", ROOT), order=70),),
    roots=(ROOT,),
    screens=(
        Menu(
            ROOT,
            "language.title",
            store="language",
            options=tuple(Option(f"language.{code}", "language.saved", value=code) for code in LANGUAGES),
        ),
        End("language.saved", "language.saved", action="save_language"),
    ),
    actions={"save_language": save_language},
    keywords=(Keyword("BAHASA", ("LANGUAGE", "LANG", "BASA"), _bahasa),),
)
"""Choosing the language of menus and SMS."""
