"""`BANTUAN`/`HELP`: the keywords a person can use, or for a staff number the staff commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword, fixed_sample

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn


def _help(turn: SmsTurn, found: Match) -> None:
    if turn.staff is not None:
        turn.reply("staff.help")
    else:
        turn.reply("sms.help", {"code": turn.ussd_code})


FEATURE = Feature(
    name="help",
    keywords=(Keyword("BANTUAN", ("HELP", "TOLONG", "PITULUNG", "MENU"), _help),),
    sms_prefixes=("sms.", "staff."),
    sms_samples={
        "code": fixed_sample("*384*123#"),
        "keyword": fixed_sample("BERHENTI"),
        "suggestion": fixed_sample(" Maksud Anda BERHENTI?"),
        "name": fixed_sample("Sri Wahyuningsih Kusumawardani"),
        "phone": fixed_sample("+886912345678"),
        "count": fixed_sample("999"),
        "page": fixed_sample("99"),
        "days": fixed_sample("999"),
        "codes": fixed_sample("KOPI2026, TERNAK2026, AMAN2026"),
    },
)
"""Help by SMS; the service's own SMS texts (`sms.`, `staff.`) and the parameters they share."""
