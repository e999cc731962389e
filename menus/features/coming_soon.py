"""Agency checks before their feature lands: an honest "coming soon"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn


def _soon(turn: SmsTurn, found: Match) -> None:
    turn.reply("sms.soon")


FEATURE = Feature(
    name="coming_soon",
    keywords=(Keyword("CEK", ("CHECK", "CEKAGEN"), _soon),),
)
"""What the agency-check feature will replace."""
