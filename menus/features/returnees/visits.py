"""Returnee visits by SMS: KUNJUNG <id> takes a visit; CATAT KUNJUNG <id> <note> [1|2|3] records it (1 fine, 2 needs
help: a mentoring task; 3 wants training: the person is sent the upcoming trainings).

Only registered staff reach these handlers; who may take and close a task is `models.task` (organisers and
coordinators every visit, a cadre their village's). Logs carry task ids and masked phones, never a note.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from menus.feature import Feature, StaffKeyword
from menus.features.returnees import notices
from models import database
from models.phones import mask
from models.returnee import VISIT_OUTCOMES, Returnee, open_mentoring
from models.staff import Staff
from models.task import Task, TaskError

if TYPE_CHECKING:
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)


def _sender(turn: SmsTurn) -> Staff:
    staff = turn.staff
    if staff is None:
        raise RuntimeError("a staff command reached its handler from a number that is not staff")
    return staff


def _visit(turn: SmsTurn, command: StaffCommand, staff: Staff) -> Task | None:
    """The visit task the command names (in the sender's scope); else answers why none."""
    usage = "returnee.usage.catat" if command.keyword == "CATAT KUNJUNG" else "returnee.usage.kunjung"
    if not command.code.isdigit():
        turn.reply(usage)
        return None
    try:
        task = Task.find_for(staff, int(command.code))
    except TaskError:
        task = None
    if task is None or task.kind != "visit":
        turn.reply("returnee.visit.unknown", {"task_id": command.code})
        return None
    return task


def _refused(turn: SmsTurn, task: Task, error: TaskError) -> None:
    holder = Staff.get_or_none(Staff.phone == error.holder) if error.holder else None
    log.info("visit %s from %s refused: %s", task.id, mask(turn.phone), error.reason)
    turn.reply(f"returnee.visit.{error.reason}", {"task_id": str(task.id), "name": holder.name if holder else "-"})


def kunjung(turn: SmsTurn, command: StaffCommand) -> None:
    """KUNJUNG <id>: take the visit; the answer repeats who to visit and their number."""
    staff = _sender(turn)
    task = _visit(turn, command, staff)
    if task is None:
        return
    try:
        with database.atomic():
            task.take(staff)
    except TaskError as error:
        _refused(turn, task, error)
        return
    returnee = Returnee.for_task(task)
    turn.reply(
        "returnee.visit.taken",
        {
            "task_id": str(task.id),
            "name": (returnee.name if returnee else None) or "-",
            "phone": task.phone,
            "village": task.village or "-",
        },
    )
    log.info("visit %s taken by %s", task.id, mask(staff.phone))


def _note_and_outcome(rest: str) -> tuple[str, str | None]:
    """The note, and the outcome its last word gives (1, 2 or 3), if any."""
    words = rest.split()
    if words and words[-1] in VISIT_OUTCOMES:
        return " ".join(words[:-1]), VISIT_OUTCOMES[words[-1]]
    return " ".join(words), None


def catat_kunjung(turn: SmsTurn, command: StaffCommand) -> None:
    """CATAT KUNJUNG <id> <note> [1|2|3]: record the visit (taking it first if nobody had); 2 opens a mentoring
    task, 3 sends the person the upcoming trainings."""
    staff = _sender(turn)
    task = _visit(turn, command, staff)
    if task is None:
        return
    note, outcome = _note_and_outcome(command.rest)
    if not note and outcome is None:
        turn.reply("returnee.usage.catat")
        return
    returnee = Returnee.for_task(task)
    try:
        with database.atomic():
            if task.status == "open":
                task.take(staff)
            task.close(staff, f"[{outcome}] {note}".strip() if outcome else note)
            mentoring = None
            if outcome == "help":
                mentoring = open_mentoring(task.phone, task.village, "visit_help", f"visit:{task.id}")
    except TaskError as error:
        _refused(turn, task, error)
        return
    key = f"returnee.visit.recorded_{outcome}" if outcome else "returnee.visit.recorded"
    turn.reply(key, {"task_id": str(mentoring.id if mentoring else task.id)})
    if mentoring is not None and returnee is not None:
        turn.outgoing.extend(notices.mentoring_opened(returnee, mentoring, "visit"))
    if outcome == "training":
        person = returnee.person() if returnee else None
        if person is not None:
            turn.outgoing.append(notices.trainings_for(person, notices.NEWS_PURPOSE))
    log.info("visit %s recorded by %s (%s)", task.id, mask(staff.phone), outcome or "no outcome")


def _names_a_task(command: StaffCommand) -> bool:
    return command.code.isdigit()


FEATURE = Feature(
    name="returnee_visits",
    staff_commands=(
        StaffKeyword("KUNJUNG", kunjung, _names_a_task, _names_a_task),
        StaffKeyword("CATAT KUNJUNG", catat_kunjung, _names_a_task, _names_a_task),
    ),
)
"""The visits' staff commands."""
