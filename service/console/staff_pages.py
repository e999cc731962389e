"""The console's staff and village pages (coordinators only; anyone else gets 404): `/console/staff` (everyone,
active and removed), `/console/staff/new`, `/console/staff/<id>` (change; `…/remove` takes them off the staff) and
`/console/villages` (the list, and adding one).

The rules are the CLI's own, from `models.staffing`: `checked_entry` and `save_staff` (`staff add`), `remove_staff`
and the new holder's SMS (`staff remove [--handover]`), `add_villages` (`village add`). A refused form changes
nothing and says why next to the field, in the console's language; every change is an audit event with the
coordinator as actor. One thing the console adds: "add" refuses a number already on the staff (the CLI would
overwrite that person), so a mistyped number cannot rename someone; their own page changes them. Renaming a
village is not offered: people, staff, cases and digests keep the village's name as written, so a rename would
have to rewrite them all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import peewee
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from menus.catalog import LANGUAGES
from models import Staff, Village, database
from models.audit import AuditEvent
from models.handover import held_by
from models.jobs import enqueue_after_commit
from models.phones import mask
from models.scope import manages_staff
from models.staff import AGENCIES, ROLES, StaffError
from models.staffing import (
    STAFF_NAME_MAX,
    VILLAGE_NAME_MAX,
    StaffFieldError,
    VillageError,
    add_villages,
    checked_entry,
    missing_roles,
    remove_staff,
    save_staff,
)
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from service.console.texts import text
from service.setup_cli import ROLE_ORDER, registered_by_village, tell_holder

log = logging.getLogger(__name__)

FIELDS = ("phone", "name", "role", "village", "agency", "language")
"""The staff form's fields, as `staff add` names its options."""


@dataclass
class StaffRow:
    """One staff member as the list shows them."""

    id: int
    name: str
    phone: str
    role: str
    village: str
    agency: str
    language: str
    active: bool


def _coordinator() -> Staff:
    """The signed-in coordinator; 404 for anyone else (the pages do not exist for them)."""
    staff = current_staff()
    if not manages_staff(staff):
        abort(404)
    return staff


def _rows() -> list[StaffRow]:
    members = sorted(Staff.select(), key=lambda s: (not s.active, ROLE_ORDER.get(s.role, 9), s.name.casefold(), s.id))
    return [
        StaffRow(s.id, s.name, s.phone, s.role, s.village or "", s.referral_agency or "", s.language or "", s.active)
        for s in members
    ]


def _form_values(member: Staff | None) -> dict[str, str]:
    """What the staff form shows: the typed values after a POST, else the member's (empty for a new one)."""
    if request.method == "POST":
        return {field: request.form.get(field, "")[:80] for field in FIELDS}
    if member is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "phone": member.phone,
        "name": member.name,
        "role": member.role,
        "village": member.village or "",
        "agency": member.agency or "",
        "language": member.language or "",
    }


def _form(member: Staff | None, errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    held = held_by(member.phone) if member is not None and member.active else []
    page = render_template(
        "console/staff_form.html",
        member=member,
        values=_form_values(member),
        errors=errors or {},
        roles=ROLES,
        villages=Village.names(),
        agencies=AGENCIES,
        languages=LANGUAGES,
        held=[case.display_code for case in held],
    )
    return page, status


def _field_error(error: StaffFieldError) -> dict[str, str]:
    """The form's message for a refused field (the domain's sentence is the CLI's, in English)."""
    params = {"max": STAFF_NAME_MAX, "villages": ", ".join(Village.names()) or "-"}
    return {error.field: text(f"console.staff.error.{error.field}", **params)}


@bp.route("/staff")
@login_required
def staff() -> ResponseReturnValue:
    """Everyone on the staff, active first, then those removed; what the service lacks (no organiser, no
    coordinator) in a warning."""
    _coordinator()
    return render_template("console/staff.html", rows=_rows(), problems=_problem_keys())


def _problem_keys() -> list[str]:
    """The catalog keys of what the service lacks (the roles `staff list` warns about)."""
    return [f"console.staff.missing.{role}" for role in missing_roles()]


@bp.route("/staff/new", methods=["GET", "POST"])
@login_required
def staff_new() -> ResponseReturnValue:
    """Add a staff member (`staff add`); a number already on the staff is refused here: change them on their
    page."""
    actor = _coordinator()
    if request.method == "GET":
        return _form(None)
    form = _form_values(None)
    try:
        entry = checked_entry(
            form["phone"], form["name"], form["role"], form["village"], form["agency"], form["language"], LANGUAGES
        )
    except StaffFieldError as error:
        return _form(None, _field_error(error), 400)
    existing = Staff.get_or_none(Staff.phone == entry.phone)
    if existing is not None:
        return _form(None, {"phone": text("console.staff.error.exists", name=existing.name)}, 400)
    try:
        with database.atomic():
            member, _ = save_staff(entry)
            AuditEvent.record(actor, "staff_added", member.phone)
    except peewee.IntegrityError:  # added by someone else since the check above
        return _form(None, {"phone": text("console.staff.error.exists", name=entry.name)}, 400)
    log.info("staff %s (%s) added in the console by %s", member.id, mask(member.phone), mask(actor.phone))
    flash("console.staff.added")
    return redirect(url_for("console.staff"), code=303)


def _member(staff_id: int) -> Staff:
    member = Staff.get_or_none(Staff.id == staff_id)
    if member is None:
        abort(404)
    return member


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@login_required
def staff_edit(staff_id: int) -> ResponseReturnValue:
    """Change a staff member's name, role, village, agency or language (`staff add` on their number: saving makes
    someone removed active again)."""
    actor = _coordinator()
    member = _member(staff_id)
    if request.method == "GET":
        return _form(member)
    form = _form_values(member)
    try:
        entry = checked_entry(
            member.phone, form["name"], form["role"], form["village"], form["agency"], form["language"], LANGUAGES
        )
    except StaffFieldError as error:
        return _form(member, _field_error(error), 400)
    with database.atomic():
        save_staff(entry)
        AuditEvent.record(actor, "staff_changed", member.phone)
    log.info("staff %s (%s) changed in the console by %s", member.id, mask(member.phone), mask(actor.phone))
    flash("console.staff.changed")
    return redirect(url_for("console.staff"), code=303)


@bp.route("/staff/<int:staff_id>/remove", methods=["POST"])
@login_required
def staff_remove(staff_id: int) -> ResponseReturnValue:
    """Take someone off the staff (`staff remove`): history kept, no alerts, no commands, no console. Refused while
    they hold open cases unless `handover` is ticked (then the first active coordinator takes them, told by SMS)."""
    actor = _coordinator()
    member = _member(staff_id)
    handover = request.form.get("handover") == "1"
    try:
        with database.atomic():
            removal = remove_staff(member.phone, handover, channel="console")
            told = tell_holder(removal)
            if removal.was_active:
                AuditEvent.record(actor, "staff_removed", member.phone)
    except StaffError as error:
        return _form(member, {"remove": _removal_refusal(member, handover, error)}, 400)
    enqueue_after_commit([told] if told else [])
    handed = len(removal.handed_over)
    log.info(
        "staff %s (%s) removed in the console by %s (%s cases handed over)",
        member.id,
        mask(member.phone),
        mask(actor.phone),
        handed,
    )
    flash("console.staff.removed_handed" if removal.handed_over else "console.staff.removed")
    return redirect(url_for("console.staff"), code=303)


def _removal_refusal(member: Staff, handover: bool, error: StaffError) -> str:
    """Why removing them was refused, in the console's language: open cases to hand over first, or nobody to hand
    them to (any other refusal: the domain's own sentence)."""
    held = held_by(member.phone)
    codes = ", ".join(case.display_code for case in held)
    if held and not handover:
        return text("console.staff.error.holds_cases", count=len(held), codes=codes)
    if held:
        return text("console.staff.error.no_coordinator", count=len(held))
    return str(error)


@bp.route("/villages", methods=["GET", "POST"])
@login_required
def villages() -> ResponseReturnValue:
    """The villages registration offers, in menu order with the people registered in each; add one at the end
    (`village add`: a name already there, in any case, is left as it is)."""
    actor = _coordinator()
    error, typed, status = None, "", 200
    if request.method == "POST":
        typed = request.form.get("name", "")[:100]
        try:
            with database.atomic():
                added, there = add_villages([typed])
                for name in added:
                    AuditEvent.record(actor, "village_added", name)
        except VillageError:
            error, status = text("console.villages.error", max=VILLAGE_NAME_MAX), 400
        else:
            for name in added:
                log.info("village %s added in the console by %s", name, mask(actor.phone))
            flash("console.villages.added" if added else "console.villages.there")
            return redirect(url_for("console.villages"), code=303)
    counts = registered_by_village()
    rows = [(name, counts.get(name, 0)) for name in Village.names()]
    page = render_template("console/villages.html", rows=rows, error=error, typed=typed, max=VILLAGE_NAME_MAX)
    return page, status


staff.menu_shown_to = manages_staff  # type: ignore[attr-defined]  # the menu's staff entry: coordinators only
