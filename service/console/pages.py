"""The console's pages: today, the cases, a case (with the SMS desk's actions), people and a person.

What each staff member sees is `models.scope` (the rule the SMS commands read too); outside it a page is 404, never
403. Opening a case's or a person's page is an audit event (`models.audit`). The actions on a case are the SMS
desk's own commands played through `menus.features.cases.desk_turn`: the same domain operations and the same SMS
to the same people, with "console" on the timeline; what they wrote is enqueued once the transaction commits.
"""

from __future__ import annotations

import logging

from flask import abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from menus.features.cases.desk_turn import act
from models import Case, Person, Village
from models.audit import AuditEvent
from models.case_terms import CATEGORIES, OPEN_STATUSES
from models.jobs import enqueue_after_commit
from models.person import STATUSES
from models.phones import mask
from models.scope import may_open_case, may_open_person, sees_cases, sees_people
from models.staff import AGENCIES
from service.console import views
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from service.console.phones_box import phones_box
from service.console.texts import language

log = logging.getLogger(__name__)

ACTIONS = {
    "take": "TERIMA",
    "note": "CATAT",
    "reply": "BALAS",
    "refer": "RUJUK",
    "resolve": "SELESAI",
    "reopen": "BUKA",
}
"""The case page's action forms, by the SMS keyword that does the same."""

ANSWERS_KEY = "desk_answers"
"""Session key: what the desk answered the last action (shown once on the case's page, as the SMS would say)."""


def _args() -> dict[str, str]:
    """The query string's filters, each cut short."""
    return {key: value.strip()[:40] for key, value in request.args.items() if value.strip()}


@bp.route("")
@login_required
def today() -> ResponseReturnValue:
    """Today: new cases, overdue ones, mine, and those with reporter messages not read yet (a village head: the
    figures of their village)."""
    staff, lang = current_staff(), language()
    if not sees_cases(staff):
        return render_template("console/today.html", staff=staff, figures=views.village_figures(staff), sections=None)
    return render_template(
        "console/today.html", staff=staff, figures=None, sections=views.today(staff, lang), phones=phones_box(staff)
    )


@bp.route("/cases")
@login_required
def cases() -> ResponseReturnValue:
    """The cases in scope, filtered (status, category, village, severity, overdue, assignee) and paged."""
    staff, lang = current_staff(), language()
    if not sees_cases(staff):
        abort(404)
    args = _args()
    rows, next_before = views.case_list(staff, args, lang)
    return render_template(
        "console/cases.html",
        staff=staff,
        rows=rows,
        args=args,
        next_args={**{k: v for k, v in args.items() if k != "before"}, "before": next_before} if next_before else None,
        statuses=(*OPEN_STATUSES, "resolved"),
        categories=CATEGORIES,
        villages=Village.names(),
        assignees=views.assignees() if staff.role != "official" else [],
    )


def _case_in_scope(code: str) -> Case:
    """The case this code names when it is the signed-in staff member's to open; 404 otherwise (unknown or not
    theirs look the same)."""
    case = Case.by_code(code)
    if case is None or not may_open_case(current_staff(), case):
        abort(404)
    return case


@bp.route("/cases/<code>")
@login_required
def case(code: str) -> ResponseReturnValue:
    """One case: its story, the reporter's later messages, the timeline, whether contact is safe, who looked at it,
    and the desk's actions. Opening it is an audit event."""
    staff, lang = current_staff(), language()
    found = _case_in_scope(code)
    AuditEvent.record(staff, "case_opened", found.code)
    log.info("case %s opened in the console by %s", found.display_code, mask(staff.phone))
    answers = session.pop(ANSWERS_KEY, [])
    return render_template(
        "console/case.html", staff=staff, agencies=AGENCIES, answers=answers, **views.case_page(found, staff, lang)
    )


@bp.route("/cases/<code>/<action>", methods=["POST"])
@login_required
def case_action(code: str, action: str) -> ResponseReturnValue:
    """Do one of the desk's actions on the case (the form's text field is `note`; a referral's agency is
    `agency`), then show the case again with the answer the SMS desk would have given."""
    staff, lang = current_staff(), language()
    found = _case_in_scope(code)
    keyword = ACTIONS.get(action)
    if keyword is None or action not in views.actions(found, staff):
        abort(404)
    note, noted_after = request.form.get("note", "")[:1000], ""
    if action == "refer":  # RUJUK <code> <agency>; the note goes on the timeline once the referral is made
        agency = request.form.get("agency", "")
        note, noted_after = (agency.upper() if agency in AGENCIES else ""), note
    turn = act(staff, keyword, found.code, note, lang)
    enqueue_after_commit(turn.outgoing)
    answers = list(turn.answers)
    referred = Case.by_code(found.code)
    if noted_after.strip() and referred is not None and referred.status == "referred":
        noted = act(staff, "CATAT", found.code, noted_after, lang)
        enqueue_after_commit(noted.outgoing)
        answers += noted.answers
    session[ANSWERS_KEY] = answers[:5]
    log.info("%s %s from the console by %s", keyword, found.display_code, mask(staff.phone))
    return redirect(url_for("console.case", code=found.display_code), code=303)


@bp.route("/people")
@login_required
def people() -> ResponseReturnValue:
    """Search people by name, village and status (organisers and coordinators; numbers whole only for
    coordinators)."""
    staff = current_staff()
    if not sees_people(staff):
        abort(404)
    args = _args()
    rows, next_before = views.people(staff, args)
    return render_template(
        "console/people.html",
        staff=staff,
        rows=rows,
        args=args,
        next_args={**{k: v for k, v in args.items() if k != "before"}, "before": next_before} if next_before else None,
        villages=Village.names(),
        statuses=STATUSES,
    )


@bp.route("/people/<int:person_id>")
@login_required
def person(person_id: int) -> ResponseReturnValue:
    """A person's page: profile, consent and its wording version, trainings, cases, messages and their delivery
    status, and their DATA/HAPUS requests. Opening it is an audit event."""
    staff, lang = current_staff(), language()
    found = Person.get_or_none(Person.id == person_id)
    if found is None or not may_open_person(staff, found):
        abort(404)
    AuditEvent.record(staff, "person_opened", found.id)
    log.info("person %s opened in the console by %s", found.id, mask(staff.phone))
    return render_template("console/person.html", staff=staff, **views.person_page(found, staff, lang))
