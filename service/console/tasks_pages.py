"""The console's tasks (mentoring, returnee visits): the open ones, mine, the done ones; take one, close it with an
outcome. The same rules as `AMBIL` / `BERES` by SMS (`models.task`).

Only organisers, coordinators and cadres have the page (a cadre sees their village's tasks); for anyone else, and
for a task outside one's scope, it is 404. A person's number is whole to a coordinator and to the task's holder (the
one who calls), masked to everyone else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from menus import catalog
from models import Person, Staff, database
from models.phones import mask
from models.settings import to_local
from models.task import KINDS, OUTCOME_MAX, TASK_ROLES, Task, TaskError
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from service.console.texts import language, text

log = logging.getLogger(__name__)

VIEWS = ("open", "mine", "done")
"""The lists: nobody holds them yet, held by me, closed."""

LIST_LIMIT = 200
"""The most tasks one list shows (oldest open first, newest done first)."""

ANSWER_KEY = "task_answer"
"""Session key: what the last take or close answered (shown once on the list)."""

TIME_FORMAT = "%d/%m/%Y %H:%M"


@dataclass(frozen=True)
class TaskRow:
    """One task as the list shows it."""

    id: int
    kind: str
    reason: str
    name: str
    number: str
    village: str
    opened: str
    holder: str
    done: str
    outcome: str
    may_take: bool
    may_close: bool


def _sees_tasks(staff: Staff) -> bool:
    return staff.role in TASK_ROLES


def _label(key: str, fallback: str) -> str:
    """The console text of `key`, or `fallback` when no feature has written one (a reason added later)."""
    try:
        catalog.raw_text(key, language())
    except catalog.MissingText:
        return fallback
    return text(key)


def _when(value: object) -> str:
    return to_local(value).strftime(TIME_FORMAT) if value else ""  # type: ignore[arg-type]


def rows(staff: Staff, tasks: list[Task]) -> list[TaskRow]:
    """The list's rows: names and holders looked up once for the whole page."""
    phones = {task.phone for task in tasks}
    names = {p.phone: p.name for p in Person.select(Person.phone, Person.name).where(Person.phone.in_(phones))}
    holders = {task.holder for task in tasks if task.holder}
    staff_names = {s.phone: s.name for s in Staff.select(Staff.phone, Staff.name).where(Staff.phone.in_(holders))}
    shown = []
    for task in tasks:
        mine = task.holder == staff.phone
        shown.append(
            TaskRow(
                id=task.id,
                kind=_label(f"tasks.kind.{task.kind}", task.kind),
                reason=_label(f"console.tasks.reason.{task.reason}", task.reason),
                name=names.get(task.phone) or "-",
                number=task.phone if staff.role == "coordinator" or mine else mask(task.phone),
                village=task.village or "",
                opened=_when(task.created_at),
                holder=staff_names.get(task.holder, "") if task.holder else "",
                done=_when(task.done_at),
                outcome=(task.outcome or "") if task.status == "done" else "",
                may_take=task.status == "open",
                may_close=task.status != "done" and (mine or staff.role == "coordinator"),
            )
        )
    return shown


@bp.route("/tasks")
@login_required
def tasks() -> ResponseReturnValue:
    """A list of tasks in scope: `?view=open|mine|done`, `?kind=mentoring|visit` (every kind without)."""
    staff = current_staff()
    if not _sees_tasks(staff):
        abort(404)
    view = request.args.get("view", "open")
    view = view if view in VIEWS else "open"
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    listed = list(Task.listed(staff, view, kind or None).limit(LIST_LIMIT))
    answer = session.pop(ANSWER_KEY, None)
    return render_template(
        "console/tasks.html",
        staff=staff,
        view=view,
        views=VIEWS,
        kind=kind,
        kinds=KINDS,
        rows=rows(staff, listed),
        answer=text(answer[0], **answer[1]) if answer else None,
        note_max=OUTCOME_MAX,
    )


tasks.menu_shown_to = _sees_tasks  # type: ignore[attr-defined]  # the menu's entry: whoever has the page


def _task_in_scope(task_id: int) -> tuple[Staff, Task]:
    """The signed-in staff member and the task, or 404 (no task page for them, or the task is not theirs to see)."""
    staff = current_staff()
    if not _sees_tasks(staff):
        abort(404)
    try:
        return staff, Task.find_for(staff, task_id)
    except TaskError:
        abort(404)


def _answered(task: Task, key: str, holder: str | None = None) -> ResponseReturnValue:
    """Keep what the action answered for the list, and go back to it (the list the form came from)."""
    name = ""
    if holder:
        member = Staff.get_or_none(Staff.phone == holder)
        name = member.name if member is not None else ""
    session[ANSWER_KEY] = (f"console.tasks.answer.{key}", {"task_id": task.id, "name": name})
    back = request.form.get("view", "")
    return redirect(url_for("console.tasks", view=back if back in VIEWS else "open"), code=303)


@bp.route("/tasks/<int:task_id>/take", methods=["POST"])
@login_required
def take_task(task_id: int) -> ResponseReturnValue:
    """Take the task (as `AMBIL <id>`); someone else holding it already is said by name."""
    staff, task = _task_in_scope(task_id)
    try:
        with database.atomic():
            taken_now = task.take(staff)
    except TaskError as error:
        log.info("task %s take from the console by %s refused: %s", task.id, mask(staff.phone), error.reason)
        return _answered(task, error.reason, error.holder)
    log.info("task %s taken from the console by %s", task.id, mask(staff.phone))
    return _answered(task, "taken" if taken_now else "already_yours")


@bp.route("/tasks/<int:task_id>/close", methods=["POST"])
@login_required
def close_task(task_id: int) -> ResponseReturnValue:
    """Close the task with the outcome in the form's `note` (as `BERES <id> <note>`); without a note nothing
    changes and the list says so."""
    staff, task = _task_in_scope(task_id)
    try:
        with database.atomic():
            task.close(staff, request.form.get("note", "")[: OUTCOME_MAX * 2])
    except TaskError as error:
        log.info("task %s close from the console by %s refused: %s", task.id, mask(staff.phone), error.reason)
        reason = "not_taken" if error.reason == "not_holder" and error.holder is None else error.reason
        return _answered(task, reason, error.holder)
    log.info("task %s closed from the console by %s", task.id, mask(staff.phone))
    return _answered(task, "closed")
