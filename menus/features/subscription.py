"""Opting out of unsolicited SMS (`BERHENTI`/`STOP`) and back in (`MULAI`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword
from models import Person

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn


def _stop(turn: SmsTurn, found: Match) -> None:
    Person.opt_out(turn.phone)
    turn.reply("sms.optout")


def _start(turn: SmsTurn, found: Match) -> None:
    Person.opt_in(turn.phone)
    turn.reply("sms.optin")


FEATURE = Feature(
    name="subscription",
    keywords=(
        Keyword("BERHENTI", ("STOP", "UNREG", "LEREN", "MANDHEG"), _stop, interrupts_text=True),
        Keyword("MULAI", ("START", "WIWIT"), _start),
    ),
)
"""Opt-out and opt-in by SMS (the provider's bulk opt-out lands in the same model method)."""
