"""Staff commands not built yet: each answers that it is coming (the training feature takes HADIR over).

A feature that implements a staff command removes it here and declares it in its own module; the
registry refuses a command with two handlers, or none.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from menus.feature import Feature

if TYPE_CHECKING:
    from menus.sms_router import SmsTurn
    from menus.staff_commands import StaffCommand


def _coming(turn: "SmsTurn", command: "StaffCommand") -> None:
    turn.reply("staff.soon", {"keyword": command.keyword})


FEATURE = Feature(
    name="staff_desk",
    staff_commands={"HADIR": _coming},
)
"""The placeholder for the staff command of the coming training feature (the case commands are in `cases.desk`)."""
