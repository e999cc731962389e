"""The console's training pages (organisers and coordinators; anyone else gets 404): `/console/trainings` (the
calendar), `/console/trainings/new`, `/console/trainings/<code>` (roster, waiting list, follow-up answers,
measures), `…/edit` (title, place, kind, seats, start: a new start moves it), `…/cancel`, and `…/attendance` (names
ticked on the day; `…/attendance/walk-in` adds someone who came without signing up).

Every change is `menus.features.trainings.calendar`'s, which `flask training …` uses too: the same domain operations
and the same SMS to the same participants, enqueued once the transaction commits. Ticking names is HADIR's
`Training.mark_attended`. A refused form changes nothing and says why next to the field.
"""

from __future__ import annotations

import logging

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from menus.features.trainings import calendar
from menus.validators import validate_name
from models.jobs import enqueue_after_commit
from models.message import Outgoing
from models.phones import InvalidPhone, mask, to_e164
from models.staff import Staff
from models.training import Training
from models.training_terms import KINDS, PLACE_MAX, TITLE_MAX, TrainingError
from service.console import trainings_views as views
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from service.console.texts import text

log = logging.getLogger(__name__)

ROLES = ("organizer", "coordinator")
"""Who runs trainings from the console."""

NOTICES_KEY = "training_notices"
"""Session key: what the last change did (shown once on the next page)."""

FIELDS = ("code", "title", "kind", "starts", "place", "capacity")
"""The training form's fields, as `training add` names its options."""


def _organiser() -> Staff:
    """The signed-in staff member when they run trainings; 404 for everyone else."""
    staff = current_staff()
    if not runs_trainings(staff):
        abort(404)
    return staff


def _training(code: str) -> Training:
    """The training with this code; 404 if there is none."""
    found = Training.by_code(code)
    if found is None:
        abort(404)
    return found


def _notify(*notices: str) -> None:
    """Keep texts to show once on the next page."""
    session[NOTICES_KEY] = [*session.get(NOTICES_KEY, []), *notices][-5:]


def _told(written: list[Outgoing]) -> str:
    """How many were told by SMS (and how many the sending rules refused)."""
    told, refused = calendar.told_count(written)
    return text("console.training.told", count=told) + (
        " " + text("console.training.refused_sms", count=refused) if refused else ""
    )


def _error_key(error: TrainingError) -> tuple[str, str]:
    """(the form field at fault, or `form`; the console text saying why)."""
    if error.field is None:
        return "form", "console.training.error.closed"
    return error.field, f"console.training.error.{error.field}"


def _form_values() -> dict[str, str]:
    """The training form as typed, each value cut short."""
    return {name: request.form.get(name, "").strip()[:60] for name in FIELDS}


def _capacity(values: dict[str, str]) -> int:
    """The seats typed; TrainingError naming `capacity` when it is not a whole number of at least 1."""
    raw = values.get("capacity", "")
    if not raw.isdigit() or int(raw) < 1:
        raise TrainingError("training.invalid", "capacity must be a whole number of at least 1", "capacity")
    return int(raw)


def _form(values: dict[str, str], errors: dict[str, str], training: Training | None, status: int = 200):
    return (
        render_template(
            "console/training_form.html",
            values=values,
            errors=errors,
            training=training,
            kinds=KINDS,
            title_max=TITLE_MAX,
            place_max=PLACE_MAX,
        ),
        status,
    )


@bp.route("/trainings")
@login_required
def trainings() -> ResponseReturnValue:
    """The calendar: upcoming trainings and past ones, with seats, waiting lists and attendance."""
    _organiser()
    upcoming, past = views.calendar()
    return render_template("console/trainings.html", upcoming=upcoming, past=past, notices=session.pop(NOTICES_KEY, []))


def runs_trainings(staff: Staff) -> bool:
    """Organisers and coordinators run trainings (the menu's entry is shown to them only)."""
    return staff.role in ROLES


trainings.menu_shown_to = runs_trainings  # type: ignore[attr-defined]


@bp.route("/trainings/new", methods=["GET", "POST"])
@login_required
def training_new() -> ResponseReturnValue:
    """Add a training (`training add`): its reminder and follow-ups are scheduled."""
    staff = _organiser()
    if request.method == "GET":
        return _form({"kind": "economic"}, {}, None)
    values = _form_values()
    try:
        training, jobs = calendar.add(
            values["code"],
            values["title"],
            values["kind"],
            calendar.parse_start(values["starts"]),
            values["place"],
            _capacity(values),
        )
    except TrainingError as error:
        field, key = _error_key(error)
        return _form(values, {field: key}, None, 400)
    enqueue_after_commit(jobs)
    log.info("training %s added in the console by %s", training.code, mask(staff.phone))
    _notify(text("console.training.added", code=training.code))
    return redirect(url_for("console.training", code=training.code), code=303)


@bp.route("/trainings/<code>")
@login_required
def training(code: str) -> ResponseReturnValue:
    """One training: facts, measures, the roster with the waiting list, and the follow-up answers."""
    staff = _organiser()
    found = _training(code)
    return render_template(
        "console/training.html", notices=session.pop(NOTICES_KEY, []), **views.training_page(found, staff)
    )


@bp.route("/trainings/<code>/edit", methods=["GET", "POST"])
@login_required
def training_edit(code: str) -> ResponseReturnValue:
    """Change a planned training (`training move` and more): a new start or place tells everyone still coming, more
    seats promote the waiting list (told)."""
    staff = _organiser()
    found = _training(code)
    if not found.is_open():
        abort(404)
    if request.method == "GET":
        current = {
            "code": found.code,
            "title": found.title,
            "kind": found.kind,
            "starts": views.form_time(found.starts_at),
            "place": found.place,
            "capacity": str(found.capacity),
        }
        return _form(current, {}, found)
    values = {**_form_values(), "code": found.code}
    try:
        wanted = calendar.Change(
            starts_at=calendar.parse_start(values["starts"]),
            capacity=_capacity(values),
            title=values["title"],
            place=values["place"],
            kind=values["kind"],
        )
        written, after_commit = calendar.change(found, wanted)
    except TrainingError as error:
        field, key = _error_key(error)
        return _form(values, {field: key}, found, 400)
    enqueue_after_commit(after_commit)
    log.info("training %s changed in the console by %s", found.code, mask(staff.phone))
    _notify(text("console.training.changed", code=found.code), _told(written))
    return redirect(url_for("console.training", code=found.code), code=303)


@bp.route("/trainings/<code>/cancel", methods=["POST"])
@login_required
def training_cancel(code: str) -> ResponseReturnValue:
    """Cancel a training (`training cancel`): everyone signed up or waiting is told by SMS."""
    staff = _organiser()
    found = _training(code)
    if request.form.get("confirm") != "yes":
        _notify(text("console.training.error.confirm"))
        return redirect(url_for("console.training", code=found.code), code=303)
    try:
        written = calendar.cancel(found)
    except TrainingError:
        _notify(text("console.training.error.closed"))
        return redirect(url_for("console.training", code=found.code), code=303)
    enqueue_after_commit(written)
    log.info("training %s cancelled in the console by %s", found.code, mask(staff.phone))
    _notify(text("console.training.cancelled", code=found.code), _told(written))
    return redirect(url_for("console.training", code=found.code), code=303)


def _attendance(found: Training, staff: Staff, errors: dict[str, str], values: dict[str, str], status: int = 200):
    return (
        render_template(
            "console/training_attendance.html",
            errors=errors,
            values=values,
            notices=session.pop(NOTICES_KEY, []),
            **views.training_page(found, staff),
        ),
        status,
    )


@bp.route("/trainings/<code>/attendance", methods=["GET", "POST"])
@login_required
def training_attendance(code: str) -> ResponseReturnValue:
    """On the day: tick who came (HADIR's effect: the training held, the signed-up not ticked absent)."""
    staff = _organiser()
    found = _training(code)
    if request.method == "GET":
        return _attendance(found, staff, {}, {})
    phones = views.enrollment_phones(found, request.form.getlist("enrollment"))
    if not phones:
        return _attendance(found, staff, {"enrollment": "console.training.error.none_ticked"}, {}, 400)
    try:
        marked, _ = calendar.attend(found, phones)
    except TrainingError as error:
        return _attendance(found, staff, {"enrollment": _attendance_error(error)}, {}, 400)
    log.info("%s marked attended at %s in the console by %s", len(marked), found.code, mask(staff.phone))
    _notify(text("console.training.marked", count=len(marked)))
    return redirect(url_for("console.training_attendance", code=found.code), code=303)


def _attendance_error(error: TrainingError) -> str:
    """Why attendance cannot be taken (a cancelled training, or not its day yet)."""
    return "console.training.error.too_early" if error.key == "training.staff.too_early" else _error_key(error)[1]


@bp.route("/trainings/<code>/attendance/walk-in", methods=["POST"])
@login_required
def training_walk_in(code: str) -> ResponseReturnValue:
    """Add someone who came without signing up: attended and counted, their consent asked by SMS."""
    staff = _organiser()
    found = _training(code)
    values = {"name": request.form.get("name", "").strip()[:90], "phone": request.form.get("phone", "").strip()[:30]}
    name, name_error = validate_name(values["name"])
    errors = {"name": "console.training.error.name"} if name_error or not name else {}
    try:
        phone = to_e164(values["phone"])
    except InvalidPhone:
        errors["phone"] = "console.training.error.phone"
    if errors:
        return _attendance(found, staff, errors, values, 400)
    try:
        _, walk_in, written = calendar.walk_in(found, phone, name or "", staff.phone)
    except TrainingError as error:
        return _attendance(found, staff, {"walk_in": _attendance_error(error)}, values, 400)
    enqueue_after_commit(written)
    log.info("walk-in %s added at %s in the console by %s", mask(phone), found.code, mask(staff.phone))
    key = "console.training.walk_in_added" if walk_in is not None else "console.training.walk_in_known"
    _notify(text(key, name=name or ""))
    if any(outgoing.refused for outgoing in written):
        _notify(text("console.training.walk_in_not_asked"))
    return redirect(url_for("console.training_attendance", code=found.code), code=303)
