"""`BANTUAN`/`HELP`: the keywords a person can use, or for a staff number the staff commands."""
from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.sms_router import SmsTurn


def _help(turn: "SmsTurn", found: "Match") -> None:
    if turn.staff is not None:
        turn.reply("staff.help")
    else:
        turn.reply("sms.help", {"code": turn.ussd_code})


FEATURE = Feature(
    name="help",
    keywords=(Keyword("BANTUAN", ("HELP", "TOLONG", "PITULUNG", "MENU"), _help),),
)
"""Help by SMS."""
