"""`BANTUAN`/`HELP`: the keywords a person can use (the USSD code only where the backend serves USSD), or for a
staff number the staff commands of their role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword, fixed_sample
from menus.turn import help_key

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn


STAFF_HELP = {"official": "staff.help.official", "cadre": "staff.help.cadre"}
"""The staff help of a role, when it is not the organisers' `staff.help` (officials do not see organisers'
commands, nor organisers officials'; a cadre sees the commands of their visits and tasks)."""


def _help(turn: SmsTurn, found: Match) -> None:
    if turn.staff is not None:
        turn.reply(STAFF_HELP.get(turn.staff.role, "staff.help"))
    else:
        turn.reply(help_key("sms.help", turn.ussd_code), {"code": turn.ussd_code})


FEATURE = Feature(
    name="help",
    keywords=(Keyword("BANTUAN", ("HELP", "TOLONG", "PITULUNG", "MENU"), _help, takes_text=False),),
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
