"""The console's cadre applications (coordinators only): the ones waiting, with approve and refuse (the same as
`SETUJU <id>` / `TOLAK <id>` by SMS, played through the same handlers, so the applicant and the mentor get the same
SMS), and the cadres with their mentors. Anyone else gets 404, as the SMS commands refuse them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import abort, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue

from menus.features.cadres.commands import setuju, tolak
from menus.features.cases.desk_turn import DeskTurn
from menus.staff_commands import StaffCommand
from models import Staff, database
from models.cadre import DECIDERS, CadreApplication
from models.jobs import enqueue_after_commit
from models.phones import mask
from models.settings import to_local
from service.console.auth import current_staff, login_required
from service.console.blueprint import bp
from service.console.texts import language, text

log = logging.getLogger(__name__)

ANSWER_KEY = "cadre_answer"
"""Session key: what the last decision answered (shown once on the page)."""

DECISIONS = {"approve": ("SETUJU", setuju), "refuse": ("TOLAK", tolak)}
"""A form's decision: the SMS command it plays, and its handler."""

LIST_LIMIT = 200
"""The most applications or cadres one list shows."""

TIME_FORMAT = "%d/%m/%Y %H:%M"


@dataclass(frozen=True)
class CadreRow:
    """A cadre as the page lists them."""

    name: str
    phone: str
    village: str
    mentor: str
    since: str


def decides(staff: Staff) -> bool:
    """Whether this staff member decides applications (and so has the page)."""
    return staff.role in DECIDERS


def _when(value: object) -> str:
    return to_local(value).strftime(TIME_FORMAT) if value else ""  # type: ignore[arg-type]


def _cadres() -> list[CadreRow]:
    """Active cadres with their mentors, newest first."""
    cadres = {s.phone: s for s in Staff.select().where((Staff.active == True) & (Staff.role == "cadre"))}  # noqa: E712
    approved = (
        CadreApplication.select()
        .where((CadreApplication.status == "approved") & CadreApplication.phone.in_(list(cadres)))
        .order_by(CadreApplication.decided_at.desc())
        .limit(LIST_LIMIT)
    )
    mentors = {s.phone: s.name for s in Staff.select(Staff.phone, Staff.name)}
    rows, seen = [], set()
    for application in approved:
        if application.phone in seen:
            continue
        seen.add(application.phone)
        cadre = cadres[application.phone]
        mentor = mentors.get(application.mentor_phone or "", "-")
        rows.append(CadreRow(cadre.name, cadre.phone, cadre.village or "", mentor, _when(application.decided_at)))
    return rows


@bp.route("/cadres")
@login_required
def cadres() -> ResponseReturnValue:
    """Applications waiting (oldest first) with their decision forms, and the cadres with their mentors."""
    staff = current_staff()
    if not decides(staff):
        abort(404)
    waiting = list(
        CadreApplication.select()
        .where(CadreApplication.status == "pending")
        .order_by(CadreApplication.created_at, CadreApplication.id)
        .limit(LIST_LIMIT)
    )
    answer = session.pop(ANSWER_KEY, None)
    return render_template(
        "console/cadres.html",
        waiting=[(a, _when(a.created_at)) for a in waiting],
        cadres=_cadres(),
        answer=answer,
    )


cadres.menu_shown_to = decides  # type: ignore[attr-defined]  # the menu's entry: coordinators only


@bp.route("/cadres/<int:application_id>/<decision>", methods=["POST"])
@login_required
def decide_cadre(application_id: int, decision: str) -> ResponseReturnValue:
    """Approve or refuse an application, as SETUJU / TOLAK by SMS: the same rules, the same SMS to the applicant and
    the mentor; the answer the SMS would have had is shown on the page."""
    staff = current_staff()
    if not decides(staff) or decision not in DECISIONS:
        abort(404)
    keyword, handler = DECISIONS[decision]
    turn = DeskTurn(staff, f"{keyword} {application_id}", language(), "console")
    with database.atomic():
        handler(turn, StaffCommand(keyword, str(application_id), ""))
    enqueue_after_commit(turn.outgoing)
    log.info("cadre application %s: %s from the console by %s", application_id, keyword, mask(staff.phone))
    session[ANSWER_KEY] = " ".join(turn.answers) or text("console.cadres.done")
    return redirect(url_for("console.cadres"), code=303)
