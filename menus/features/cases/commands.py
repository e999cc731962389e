"""What every case staff command shares: the staff member who sent it, the case it names (or the answer why none),
and the "plainly for staff" test of a command that names a case code."""

from __future__ import annotations

import logging
import re

from menus.staff_commands import StaffCommand
from menus.turn import SmsTurn
from models.case import Case
from models.case_terms import looks_like_code
from models.gsm import fold_to_gsm7
from models.phones import mask
from models.staff import Staff

log = logging.getLogger(__name__)

TYPED_CODE_MAX = 20
"""The longest code echoed back in an unknown-code answer."""

_NOT_CODE = re.compile(r"[^0-9A-Za-z-]")


def sender(turn: SmsTurn) -> Staff:
    """The staff member who sent the command (the router lets only staff reach a handler)."""
    staff = turn.staff
    if staff is None:
        raise RuntimeError("a staff command reached its handler from a number that is not staff")
    return staff


def _as_typed(turn: SmsTurn, command: StaffCommand) -> str:
    """The code as the sender typed it (letters, digits and dashes only, cut short)."""
    words = turn.text.split()
    typed = _NOT_CODE.sub("", fold_to_gsm7(words[1]))[:TYPED_CODE_MAX] if len(words) > 1 else ""
    return typed or command.code


def named_case(turn: SmsTurn, command: StaffCommand) -> Case | None:
    """The case the command names; else answers with the usage (no code) or that the code is unknown."""
    if not command.code:
        turn.reply(f"case.usage.{command.keyword.lower()}")
        return None
    case = Case.by_code(command.code)
    if case is None:
        log.info("%s from %s: unknown case code", command.keyword, mask(turn.phone))
        turn.reply("case.unknown_code", {"code": _as_typed(turn, command)})
    return case


def names_a_case(command: StaffCommand) -> bool:
    """A case command from someone who is not staff is plainly for staff when it names a case code."""
    return looks_like_code(command.code)
