"""Staff commands about cadres and cases changing hands: SETUJU / TOLAK <id> (coordinators decide an application),
PROMOSI <phone> (a cadre's mentor or a coordinator makes them an organiser), ALIH <code> <phone or first name> (a
case's holder or a coordinator passes it to another organiser).

Only registered staff reach these handlers (the SMS router sees to it). The rules are `models.cadre` and
`models.handover`; this module answers the sender and tells the others. Nothing changes on a refusal. Logs carry
ids, case codes and masked phones, never a name or a why.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from menus.feature import Feature, StaffKeyword
from menus.features.cadres import notices
from models import database
from models.cadre import CadreApplication, CadreError, promote
from models.case import Case
from models.case_terms import looks_like_code
from models.gsm import fold_to_gsm7
from models.handover import HandoverError, hand_over
from models.phones import InvalidPhone, mask, to_e164
from models.staff import Staff

if TYPE_CHECKING:
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

TYPED_MAX = 20
"""The longest id, code or number echoed back as typed."""

_NOT_TYPED = re.compile(r"[^0-9A-Za-z+-]")


def _sender(turn: SmsTurn) -> Staff:
    staff = turn.staff
    if staff is None:
        raise RuntimeError("a staff command reached its handler from a number that is not staff")
    return staff


def _typed(turn: SmsTurn) -> str:
    """The command's second word as typed (letters, digits, + and - only, cut short)."""
    words = turn.text.split()
    return _NOT_TYPED.sub("", fold_to_gsm7(words[1]))[:TYPED_MAX] if len(words) > 1 else ""


def _application(turn: SmsTurn, command: StaffCommand) -> CadreApplication | None:
    """The application the command names; else answers with the usage or that there is none by that number."""
    if not command.code:
        turn.reply(f"cadre.usage.{command.keyword.lower()}")
        return None
    application = CadreApplication.by_id(command.code)
    if application is None:
        turn.reply("cadre.unknown_application", {"id": _typed(turn)})
    return application


def setuju(turn: SmsTurn, command: StaffCommand) -> None:
    """SETUJU <id>: the applicant becomes a cadre of their village with a mentor; both are told."""
    staff, application = _sender(turn), _application(turn, command)
    if application is None:
        return
    try:
        with database.atomic():
            cadre = application.approve(staff)
    except CadreError as error:
        log.info("SETUJU %s from %s refused: %s", application.id, mask(turn.phone), error.reason)
        turn.reply(f"cadre.error.{error.reason}", {"id": str(application.id)})
        return
    mentor = application.mentor() or staff
    turn.lookups.forget()
    turn.reply("cadre.approved", {"id": str(application.id), "name": cadre.name, "mentor": mentor.name})
    turn.outgoing.extend(notices.approved(application, cadre, mentor))
    log.info("cadre application %s approved by %s, mentor %s", application.id, mask(staff.phone), mask(mentor.phone))


def tolak(turn: SmsTurn, command: StaffCommand) -> None:
    """TOLAK <id>: the application is refused; the applicant is told kindly."""
    staff, application = _sender(turn), _application(turn, command)
    if application is None:
        return
    try:
        with database.atomic():
            application.refuse(staff)
    except CadreError as error:
        turn.reply(f"cadre.error.{error.reason}", {"id": str(application.id)})
        return
    turn.reply("cadre.refused", {"id": str(application.id), "name": application.name})
    turn.outgoing.append(notices.refused(application))
    log.info("cadre application %s refused by %s", application.id, mask(staff.phone))


def promosi(turn: SmsTurn, command: StaffCommand) -> None:
    """PROMOSI <phone>: the cadre becomes an organiser (their mentor or a coordinator); they are told."""
    staff, typed = _sender(turn), _typed(turn)
    if not typed:
        turn.reply("cadre.usage.promosi")
        return
    try:
        phone = to_e164(typed)
    except InvalidPhone:
        turn.reply("cadre.error.not_cadre", {"phone": typed})
        return
    try:
        with database.atomic():
            organiser = promote(staff, phone)
    except CadreError as error:
        turn.reply(f"cadre.error.{error.reason}", {"phone": typed, "id": ""})
        return
    turn.lookups.forget()
    turn.reply("cadre.promoted", {"name": organiser.name})
    turn.outgoing.append(notices.promoted(organiser))
    log.info("cadre %s promoted to organiser by %s", mask(phone), mask(staff.phone))


def alih(turn: SmsTurn, command: StaffCommand) -> None:
    """ALIH <code> <phone or first name>: pass a held case to another organiser or coordinator; both are told."""
    staff = _sender(turn)
    if not command.code or not command.rest:
        turn.reply("cadre.usage.alih")
        return
    case = Case.by_code(command.code)
    if case is None:
        turn.reply("cadre.handover.unknown_code", {"code": _typed(turn)})
        return
    try:
        with database.atomic():
            done = hand_over(case, staff, command.rest, turn.channel)
    except HandoverError as error:
        log.info("ALIH %s from %s refused: %s", case.display_code, mask(turn.phone), error.reason)
        names = ", ".join(f"{s.name} {s.phone}" for s in error.candidates)
        turn.reply(
            f"cadre.handover.{error.reason}",
            {"code": case.display_code, "who": command.rest[:TYPED_MAX], "names": names},
        )
        return
    turn.reply("cadre.handover.done", {"code": case.display_code, "name": done.holder.name})
    turn.outgoing.extend(notices.handed_over(case.display_code, done.holder, staff, done.previous))
    log.info("case %s handed over by %s to %s", case.display_code, mask(staff.phone), mask(done.holder.phone))


def _names_an_id(command: StaffCommand) -> bool:
    return command.code.isdigit()


def _names_a_phone(command: StaffCommand) -> bool:
    return command.code.isdigit() and len(command.code) >= 8


def _names_a_case(command: StaffCommand) -> bool:
    return looks_like_code(command.code)


FEATURE = Feature(
    name="cadre_commands",
    staff_commands=(
        StaffKeyword("SETUJU", setuju, _names_an_id, _names_an_id),
        StaffKeyword("TOLAK", tolak, _names_an_id, _names_an_id),
        StaffKeyword("PROMOSI", promosi, _names_a_phone, _names_a_phone),
        StaffKeyword("ALIH", alih, _names_a_case),  # from staff, ALIH is always the command
    ),
)
"""The cadres' and handovers' staff commands."""
