"""Task staff commands by SMS: `AMBIL <id>` takes a task, `BERES <id> <note>` closes it with what came of it.

Only registered staff reach these handlers (the SMS router sees to it); who may take and close is decided by
`models.task`, this module turns its decisions into catalog texts. Nothing changes on an error. The person's number
is in the answers (staff call them); logs carry task ids and masked phones, never a note.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import StaffKeyword
from models.person import Person
from models.phones import mask
from models.staff import Staff
from models.task import TASK_ROLES, Task, TaskError

if TYPE_CHECKING:
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

TYPED_ID_MAX = 12
"""The longest task number echoed back when it is unknown."""

ID_DIGITS_MAX = 9
"""A task number longer than this is no task of ours (and no integer overflow in the query)."""


def _typed(command: StaffCommand) -> str:
    """The task number as typed (normalised), cut short for the answer."""
    return command.code[:TYPED_ID_MAX]


def _task_id(command: StaffCommand) -> int | None:
    """The task number the command names, or None if what follows the keyword is no number."""
    typed = command.code.lstrip("#")
    return int(typed) if typed.isdigit() and len(typed) <= ID_DIGITS_MAX else None


def first_name(phone: str | None) -> str:
    """A staff member's first name, as answers name a holder ('-' when the number is no staff)."""
    member = Staff.get_or_none(Staff.phone == phone) if phone else None
    return member.name.split()[0] if member is not None and member.name.split() else "-"


def task_params(task: Task, language: str) -> dict[str, str]:
    """What a task's answers may show: its number, kind, and the person's name and number (staff-facing only)."""
    person = Person.for_phone(task.phone)
    return {
        "task_id": str(task.id),
        "task_kind": catalog.text(f"tasks.kind.{task.kind}", language),
        "name": (person.name if person is not None else None) or "-",
        "phone": task.phone,
    }


def _named_task(turn: SmsTurn, command: StaffCommand) -> tuple[Staff, Task] | None:
    """The sender and the task the command names; else answers why not (role, usage, unknown number)."""
    staff = turn.staff
    if staff is None:
        raise RuntimeError("a staff command reached its handler from a number that is not staff")
    if staff.role not in TASK_ROLES:
        log.info("%s from %s: a %s takes no tasks", command.keyword, mask(turn.phone), staff.role)
        turn.reply("tasks.sms.not_allowed")
        return None
    if not command.code:
        turn.reply(f"tasks.sms.usage.{command.keyword.lower()}")
        return None
    task_id = _task_id(command)
    try:
        if task_id is None:
            raise TaskError("unknown", f"{command.code!r} is no task number")
        return staff, Task.find_for(staff, task_id)
    except TaskError:
        log.info("%s from %s: no task %s in their scope", command.keyword, mask(turn.phone), _typed(command))
        turn.reply("tasks.sms.unknown", {"task_id": _typed(command)})
        return None


def _refused(turn: SmsTurn, command: StaffCommand, task: Task, error: TaskError) -> None:
    """Answer why the task operation was refused (nothing changed)."""
    log.info("%s %s from %s refused: %s", command.keyword, task.id, mask(turn.phone), error.reason)
    reason = "not_taken" if error.reason == "not_holder" and error.holder is None else error.reason
    turn.reply(f"tasks.sms.{reason}", {"task_id": str(task.id), "name": first_name(error.holder)})


def ambil(turn: SmsTurn, command: StaffCommand) -> None:
    """AMBIL <id>: take the task (the person's name and number come back, to call them)."""
    found = _named_task(turn, command)
    if found is None:
        return
    staff, task = found
    try:
        taken_now = task.take(staff)
    except TaskError as error:
        _refused(turn, command, task, error)
        return
    log.info("AMBIL %s by %s (%s)", task.id, mask(turn.phone), "taken" if taken_now else "already theirs")
    turn.reply("tasks.sms.taken" if taken_now else "tasks.sms.already_yours", task_params(task, turn.language))


def beres(turn: SmsTurn, command: StaffCommand) -> None:
    """BERES <id> <note>: close the task with what came of it (its holder, or a coordinator)."""
    found = _named_task(turn, command)
    if found is None:
        return
    staff, task = found
    try:
        task.close(staff, command.rest)
    except TaskError as error:
        _refused(turn, command, task, error)
        return
    log.info("BERES %s by %s", task.id, mask(turn.phone))
    turn.reply("tasks.sms.closed", {"task_id": str(task.id)})


def names_a_task(command: StaffCommand) -> bool:
    """From someone who is not staff, AMBIL or BERES is plainly a staff command when a task number follows."""
    return command.code.lstrip("#").isdigit()


def meant_as_command(command: StaffCommand) -> bool:
    """From staff, AMBIL or BERES is the command alone or with something that has a digit ("AMBIL 12", "AMBIL" for the
    usage); "Ambil saja" or "Beres pak" are ordinary words and go the usual way."""
    return not command.code or any(character.isdigit() for character in command.code)


STAFF_COMMANDS = (
    StaffKeyword("AMBIL", ambil, names_a_task, meant_as_command),
    StaffKeyword("BERES", beres, names_a_task, meant_as_command),
)
"""The task commands, for TASK_ROLES (others are told the commands are not theirs)."""
