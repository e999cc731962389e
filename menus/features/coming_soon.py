"""Trainings and agency checks before their features land: an honest "coming soon" with a way back."""
from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword
from menus.screens import Menu

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.sms_router import SmsTurn


def _soon(turn: "SmsTurn", found: "Match") -> None:
    turn.reply("sms.soon")


FEATURE = Feature(
    name="coming_soon",
    screens=(
        Menu("soon.training", "soon.training"),
    ),
    keywords=(
        Keyword("LATIH", ("PELATIHAN", "TRAINING", "TRAIN", "GLADHEN"), _soon),
        Keyword("CEK", ("CHECK", "CEKAGEN"), _soon),
    ),
)
"""What the case and training issues replace."""
