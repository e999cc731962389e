"""Reporting trouble: for whom, the problem, the country, whether SMS is safe, consent to refer, a short story.

One flow for USSD ("Lapor masalah") and SMS (`LAPOR`, `LAPOR <story>`); no registration needed, and it
works from numbers abroad by SMS. At most six screens, the story optional and last. The end screen
opens the case once per session or SMS (a replayed final step shows the same code) and writes the
alerts and the confirmation through the sending policy.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword, MenuEntry, Placeholder, fixed_sample
from menus.features.cases import notices
from menus.features.cases.jobs import escalation_spec
from menus.screens import MAIN_MENU, End, Input, Menu, Option, Switch
from menus.turn import FlowTurn
from models import database
from models.case import Case
from models.case_terms import CATEGORIES, FOR_WHOM, STORY_MAX, Report
from models.person import COUNTRIES
from models.phones import InvalidPhone, to_e164
from models.report_draft import ReportDraft

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ROOT = "report"
"""Where a report starts (USSD "Lapor masalah", SMS `LAPOR`)."""

ROOT_WITH_STORY = "report.story_first"
"""`LAPOR <story>` by SMS: the story is the first answer, the rest of the flow follows."""

SKIP = ("1", "-")
"""What a reporter sends to leave the story out."""


def validate_safe_contact(text: str) -> tuple[str | None, str | None]:
    """1 (yes, this number), 2 (no), or another number that is safe: "yes", "no" or its E.164 form."""
    value = text.strip()
    if value == "1":
        return "yes", None
    if value == "2":
        return "no", None
    try:
        return to_e164(value), None
    except InvalidPhone:
        return None, "error.safe_contact"


def validate_story(text: str) -> tuple[str | None, str | None]:
    """A short story in the reporter's words ("1" leaves it out); kept up to STORY_MAX characters."""
    value = " ".join(text.split())
    if value in SKIP:
        return "", None
    if not value:
        return None, "error.story"
    return value[:STORY_MAX], None


def report_from(phone: str, answers: dict[str, str], channel: str, source_key: str, incomplete: bool = False) -> Report:
    """A report from the flow's answers; a question left unanswered counts as "not safe to contact"."""
    safe = answers.get("safe", "")
    return Report(
        reporter_phone=phone,
        for_whom=answers.get("for_whom", "other"),
        category=answers.get("category", "other"),
        country=answers.get("country"),
        safe_to_contact=safe == "yes" or safe.startswith("+"),
        safe_phone=safe if safe.startswith("+") and safe != phone else None,
        story=answers.get("story") or None,
        consent_to_refer=answers.get("consent") == "yes",
        channel=channel,
        source_key=source_key,
        incomplete=incomplete,
        said_unsafe=safe == "no",
    )


def open_case(turn: FlowTurn) -> None:
    """Open the case once for this session or conversation, alert staff, confirm to the reporter when safe."""
    answers = turn.answers
    report = report_from(turn.phone, answers, turn.ctx.channel, turn.ctx.session_key)
    if "category" not in answers:
        log.error("report end reached without a category")
        return
    with database.atomic():
        ReportDraft.discard(turn.ctx.session_key)  # in the same transaction: the case now holds the answers
        case, created = Case.open(report)
        if created:
            for outgoing in notices.new_case(case, turn.lookups):
                turn.queued(outgoing)
            turn.queued(escalation_spec(case.id, 1, case.ack_due_at))
    answers["case_code"] = case.display_code


def _lapor(turn: SmsTurn, found: Match) -> None:
    if found.argument.strip():
        turn.start_flow(ROOT_WITH_STORY, first_inputs=[found.argument])
    else:
        turn.start_flow(ROOT)


CATEGORY_OPTIONS = tuple(Option(f"case.category.{c}", "report.country", value=c) for c in CATEGORIES)
COUNTRY_OPTIONS = tuple(Option(f"country.{c}", "report.safe", value=c) for c in COUNTRIES)

FEATURE = Feature(
    name="report",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.report", ROOT), order=30),),
    roots=(ROOT, ROOT_WITH_STORY),
    screens=(
        Menu(
            ROOT,
            "report.for_whom",
            store="for_whom",
            options=tuple(Option(f"report.for.{w}", "report.category", value=w) for w in FOR_WHOM),
        ),
        Input(ROOT_WITH_STORY, "report.story", store="story", validator="story", next=ROOT),
        Menu("report.category", "report.category", store="category", options=CATEGORY_OPTIONS),
        Menu("report.country", "report.country", store="country", options=COUNTRY_OPTIONS),
        Input("report.safe", "report.safe", store="safe", validator="safe_contact", next="report.consent"),
        Menu(
            "report.consent",
            "report.consent",
            store="consent",
            options=(
                Option("report.consent.yes", "report.story_ask", value="yes"),
                Option("report.consent.no", "report.story_ask", value="no"),
            ),
        ),
        Switch("report.story_ask", cases=(("has_story", "report.done"),), default="report.story"),
        Input("report.story", "report.story", store="story", validator="story", next="report.done"),
        End("report.done", "report.done", action="open_case"),
    ),
    conditions={"has_story": lambda turn: "story" in turn.answers},
    actions={"open_case": open_case},
    validators={"safe_contact": validate_safe_contact, "story": validate_story},
    placeholders={"case_code": Placeholder(lambda turn: turn.answers.get("case_code", ""), fixed_sample("K7M-3QX"))},
    keywords=(Keyword("LAPOR", ("REPORT", "ADUAN", "NGADU"), _lapor),),
)
"""The report flow and the LAPOR keyword."""
