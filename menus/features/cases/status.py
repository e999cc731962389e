"""Checking one's own reports: "Cek laporan" (USSD) and `STATUS [code]` (SMS), in neutral words.

A reporter's phone may be watched: these texts say only the code and where the case stands, never the
problem. Whose cases a phone sees is the case model's rule (`case_access.reported_from`, `case_access.may_see_status`);
to anyone else a real code gets the same answer as an unknown one, so a code tells a stranger nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import Feature, Keyword, MenuEntry, Placeholder, fixed_sample, longest_label
from menus.fitting import list_that_fits
from menus.screens import MAIN_MENU, Menu, Option
from menus.turn import FlowTurn
from models.case import Case
from models.case_access import may_see_status, reported_from
from models.case_talk import heard_from_safe_phone
from models.phones import mask

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ROOT = "check"
"""The caller's cases (USSD main menu "Cek laporan")."""

CASE_SCREEN = "check.case"
"""One case's status."""

MAX_LISTED = 12
"""Most cases a list shows (two USSD pages; an SMS list shows as many as fit)."""

SMS_LISTED = 20
"""Most cases `STATUS` considers: more than two segments can hold, so a longer list ends with "..."."""


def state_text(case: Case, language: str, short: bool = False) -> str:
    """Where the case stands, in neutral words for its reporter."""
    prefix = "case.reporter_state_short." if short else "case.reporter_state."
    return catalog.text(prefix + case.status, language)


def own_cases(turn: FlowTurn, target: str) -> list[Option]:
    """Option source: the caller's cases (reported from the phone or naming it as safe), newest first."""
    if "own_cases" in turn.memo:
        return turn.memo["own_cases"]
    language = turn.ctx.language
    found = turn.memo["own_cases"] = [
        Option(
            catalog.text(
                "check.item",
                language,
                {"code": case.display_code, "case_state": state_text(case, language, short=True)},
            ),
            target,
            value=case.code,
            literal=True,
        )
        for case in reported_from(turn.phone).limit(MAX_LISTED)
    ]
    return found


def _chosen(turn: FlowTurn) -> Case | None:
    code = turn.answers.get("check_code", "")
    if turn.memo.get("chosen_code") != code:
        case = Case.by_code(code)
        turn.memo["chosen"] = case if case is not None and may_see_status(case, turn.phone) else None
        turn.memo["chosen_code"] = code
    return turn.memo["chosen"]


def _chosen_code(turn: FlowTurn) -> str:
    case = _chosen(turn)
    return case.display_code if case else "-"


def _chosen_state(turn: FlowTurn) -> str:
    case = _chosen(turn)
    return state_text(case, turn.ctx.language) if case else "-"


def listing(cases: list[Case], language: str) -> str:
    """Codes and short states, newest first: as many as keep the list reply within the SMS budget."""
    items = [
        catalog.text(
            "case.status.item",
            language,
            {"code": case.display_code, "case_state": state_text(case, language, short=True)},
        )
        for case in cases
    ]
    return list_that_fits(lambda shown: catalog.text("case.status.list", language, {"case_list": shown}), items, ", ")


def _marked_unsafe(turn: SmsTurn) -> bool:
    """True for a number that said SMS to it is not safe: whoever holds the phone may be a watcher, so a bare
    `STATUS` lists nothing there (no codes, no states); only `STATUS <code>` answers."""
    person = turn.person
    return person is not None and person.unsafe_at is not None


def _status(turn: SmsTurn, found: Match) -> None:
    """`STATUS` lists the sender's own cases (from a number marked unsafe it only asks for the code); `STATUS <code>`
    answers the reporter, the safe number and staff."""
    argument = found.argument.strip()
    if not argument and _marked_unsafe(turn):
        log.info("STATUS alone from %s, a number marked unsafe: no list, the code is asked for", mask(turn.phone))
        turn.reply("case.status.code_needed")
        return
    if not argument:
        cases = list(reported_from(turn.phone).limit(SMS_LISTED))
        if cases:
            turn.reply("case.status.list", {"case_list": listing(cases, turn.language)})
        else:
            turn.reply("case.status.none")
        return
    case = Case.by_code(argument) or Case.by_code(argument.split()[0])
    if case is not None and turn.phone == case.safe_phone:
        heard_from_safe_phone(case)  # the reporter was told to have it write: from now on it hears the news
    if case is None or not may_see_status(case, turn.phone):
        log.info("STATUS from %s: no case of theirs with that code", mask(turn.phone))
        turn.reply("case.status.unknown")
        return
    turn.reply("case.status.one", {"code": case.display_code, "case_state": state_text(case, turn.language)})


FEATURE = Feature(
    name="case_status",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.check", ROOT), order=60),),
    screens=(
        Menu(
            ROOT, "check.title", source="own_cases", source_target=CASE_SCREEN, store="check_code", empty="check.empty"
        ),
        Menu(CASE_SCREEN, "check.case"),
    ),
    sources={"own_cases": own_cases},
    placeholders={
        "check_code": Placeholder(_chosen_code, fixed_sample("K7M-3QX")),
        "case_state": Placeholder(_chosen_state, longest_label("case.reporter_state.")),
    },
    keywords=(Keyword("STATUS", (), _status),),
)
"""Cek laporan and the STATUS keyword."""
