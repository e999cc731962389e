"""Attendance by staff SMS: `HADIR <code> <phone> [<phone>…]`, numbers in any local or E.164 form.

Marking attendance marks the training held; the signed-up not marked become absent (a later HADIR still
marks them). The reply says who was marked and which numbers were not signed up or not numbers at all.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import Feature, StaffKeyword
from menus.features.trainings import notices
from menus.fitting import list_that_fits
from models import database
from models.phones import InvalidPhone, mask, to_e164
from models.training import Training
from models.training_terms import TrainingError

if TYPE_CHECKING:
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

MAX_NUMBERS = 40
"""Most numbers one HADIR takes (a long SMS); more are answered as not read."""

_SEPARATORS = re.compile(r"[\s,;]+")


def parse_numbers(text: str) -> tuple[list[str], list[str]]:
    """(E.164 numbers, what was typed but is not a number) from the rest of a HADIR SMS."""
    numbers, bad = [], []
    for raw in [part for part in _SEPARATORS.split(text) if part][:MAX_NUMBERS]:
        try:
            numbers.append(to_e164(raw))
        except InvalidPhone:
            bad.append(raw[:16])
    return numbers, bad


def _hadir(turn: SmsTurn, command: StaffCommand) -> None:
    training = Training.by_code(command.code) if command.code else None
    if training is None:
        turn.reply("training.staff.unknown", {"code": command.code[:12] or "-"})
        return
    numbers, bad = parse_numbers(command.rest)
    if not numbers and not bad:
        turn.reply("training.staff.usage", {"code": training.code})
        return
    try:
        with database.atomic():
            marked, strangers = training.mark_attended(numbers)
    except TrainingError as error:
        log.info("HADIR for %s refused: %s", training.code, error)
        turn.reply(error.key, {"code": training.code, "date": training.starts_label})
        return
    log.info(
        "HADIR %s from %s: %s marked, %s not signed up, %s unreadable",
        training.code,
        mask(turn.phone),
        len(marked),
        len(strangers),
        len(bad),
    )
    turn.reply("training.staff.marked", marked_params(training.code, marked, [*strangers, *bad], turn.language))


def marked_params(code: str, marked: list[str], others: list[str], language: str) -> dict[str, str]:
    """The HADIR reply's values: the numbers marked and the others (those first: they need a second look),
    each list cut to what fits two segments."""
    values = {"code": code, "count": str(len(marked)), "marked": "..." if marked else "-", "others": "-"}
    for key, items in (("others", others), ("marked", marked)):
        if items:
            shown = [notices.short_number(item) for item in items]
            values[key] = list_that_fits(
                lambda joined: catalog.text("training.staff.marked", language, {**values, key: joined}), shown, ", "
            )
    return values


def lists_numbers(command: StaffCommand) -> bool:
    """HADIR from someone who is not staff is plainly for staff with a code and phone numbers ("HADIR KOPI1 0812…"),
    not ordinary words ("Hadir pak")."""
    return bool(command.code) and any(ch.isdigit() for ch in command.rest)


FEATURE = Feature(
    name="training_attendance",
    staff_commands=(StaffKeyword("HADIR", _hadir, lists_numbers),),
)
"""The HADIR staff command."""
