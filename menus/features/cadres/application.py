"""Becoming a cadre: `KADER` by SMS, or "Jadi kader" in the USSD main menu (registered people): the village, what
they can help with, a short why; the coordinators are told the application's number (SETUJU / TOLAK it).

One flow serves USSD and SMS. Someone not registered is asked to register first; staff are staff already; a number
with an application waiting is told so. The rules are `models.cadre`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword, MenuEntry
from menus.features.cadres import notices
from menus.screens import MAIN_MENU, End, Input, Menu, Option, Switch
from menus.turn import FlowTurn
from models import database
from models.cadre import HELPS, WHY_MAX, CadreApplication, CadreError

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ROOT = "cadre"
"""Where an application starts (SMS `KADER`, USSD "Jadi kader")."""

WHY_MIN = 2
"""The shortest "why" taken."""


def _registered(turn: FlowTurn) -> bool:
    person = turn.person
    return bool(person and person.is_registered)


def _waiting(turn: FlowTurn) -> bool:
    """An application from this number waits, made in another session (a replayed step walks the same path)."""
    pending = CadreApplication.pending_for(turn.phone)
    return pending is not None and pending.source_key != turn.ctx.session_key


def validate_why(text: str) -> tuple[str | None, str | None]:
    """A short reason: 2 to WHY_MAX characters."""
    value = " ".join(text.split())
    return (value, None) if WHY_MIN <= len(value) <= WHY_MAX else (None, "error.cadre_why")


def submit(turn: FlowTurn) -> str | None:
    """Store the application once and tell the coordinators its number."""
    answers, person = turn.answers, turn.person
    if person is None or not person.name or answers.get("cadre_helps") not in HELPS or not answers.get("cadre_village"):
        log.error("cadre application end reached without answers")
        return "cadre.not_registered"
    try:
        with database.atomic():
            application, new = CadreApplication.submit(
                turn.phone,
                name=person.name,
                village=answers["cadre_village"],
                helps=answers["cadre_helps"],
                why=answers.get("cadre_why", ""),
                source_key=turn.ctx.session_key,
            )
    except CadreError as error:
        return "cadre.already_staff" if error.reason == "staff" else "cadre.already_applied"
    if new:
        for outgoing in notices.application_alert(application):
            turn.queued(outgoing)
        log.info("cadre application %s via %s", application.id, turn.ctx.channel)
    return None


def _start(turn: SmsTurn, found: Match) -> None:
    turn.start_flow(ROOT)


HELP_OPTIONS = tuple(Option(f"cadre.helps.{h}", "cadre.why", value=h) for h in HELPS)

FEATURE: Feature = Feature(
    name="cadre_application",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.cadre", ROOT, when="cadre_registered"), order=80),),
    roots=(ROOT,),
    screens=(
        Switch(
            ROOT,
            cases=(
                ("cadre_is_staff", "cadre.staff"),
                ("cadre_waiting", "cadre.waiting"),
                ("cadre_registered", "cadre.village"),
            ),
            default="cadre.unregistered",
        ),
        End("cadre.staff", "cadre.already_staff"),
        End("cadre.waiting", "cadre.already_applied"),
        End("cadre.unregistered", "cadre.not_registered"),
        Menu(
            "cadre.village",
            "cadre.village",
            source="villages",
            source_target="cadre.helps",
            store="cadre_village",
            options=(Option("village.other", "cadre.village_other"),),
        ),
        Input(
            "cadre.village_other",
            "register.village_other",
            store="cadre_village",
            validator="place",
            next="cadre.helps",
        ),
        Menu("cadre.helps", "cadre.helps", store="cadre_helps", options=HELP_OPTIONS),
        Input("cadre.why", "cadre.why", store="cadre_why", validator="cadre_why", next="cadre.done"),
        End(
            "cadre.done",
            "cadre.thanks",
            action="cadre_submit",
            other_texts=("cadre.already_staff", "cadre.already_applied", "cadre.not_registered"),
        ),
    ),
    conditions={
        "cadre_is_staff": lambda turn: turn.lookups.staff(turn.phone) is not None,
        "cadre_waiting": _waiting,
        "cadre_registered": _registered,
    },
    actions={"cadre_submit": submit},
    validators={"cadre_why": validate_why},
    keywords=(Keyword("KADER", ("CADRE", "VOLUNTEER", "RELAWAN"), _start),),
)
"""The application, declared once for USSD and SMS."""
