"""Reporting trouble, by USSD ("Lapor masalah") and by SMS (`LAPOR`, `LAPOR <story>`); no registration needed, and
it works from numbers abroad by SMS. The end screen opens the case once per session or conversation (a replayed
final step shows the same code) and writes the alerts through the sending policy.

USSD leaves no trace on the phone: for whom, the problem (urgent ones on the first page), the country, whether
SMS is safe, consent to refer, a short story; at most six screens, the story optional and last.

By SMS every screen stays in the reporter's inbox (DESIGN "The SMS report"), so the first question is whether
it is safe to reply to this number, in neutral words. "No" (or another number to use instead) ends it there:
the case opens, urgent when the reporter cannot be texted, its problem read from the story's words, and the one
reply is the neutral end. Only after "yes" come for whom, the problem, the country and consent (with room for a
short story when LAPOR carried none): at most six SMS from the service, and the end neutral again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from menus.feature import Feature, Keyword, MenuEntry, Placeholder, fixed_sample
from menus.features.cases import notices
from menus.features.cases.jobs import escalation_spec
from menus.features.cases.talk import message_alerts
from menus.screens import MAIN_MENU, End, Input, Menu, Option, Screen, Switch
from menus.turn import FlowTurn
from models import database, utcnow
from models.case import Case
from models.case_talk import flood_target, has_message, record_message
from models.case_terms import CATEGORIES, FOR_WHOM, STORY_MAX, URGENT_CATEGORIES, Report, category_from_words
from models.person import COUNTRIES
from models.phones import InvalidPhone, mask, to_e164
from models.report_draft import ReportDraft

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ROOT = "report"
"""Where a report starts (USSD "Lapor masalah", SMS `LAPOR`)."""

SMS_ROOT = "report.sms"
"""Where `LAPOR` starts by SMS: the safety question."""

SMS_ROOT_WITH_STORY = "report.sms.story_first"
"""`LAPOR <story>` by SMS: the story is the first answer, the safety question follows."""

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
    """A report from the flow's answers; a question left unanswered counts as "not safe to contact".

    A reporter who said SMS is not safe, or gave another number instead, answered nothing else by SMS: the
    problem is read from the words of their story (`other` when none tells).
    """
    safe = answers.get("safe", "")
    consent, story = split_consent(answers["consent_reply"]) if "consent_reply" in answers else (None, None)
    story = answers.get("story") or story
    category = answers.get("category") or category_from_words(story or "")
    return Report(
        reporter_phone=phone,
        for_whom=answers.get("for_whom", "other"),
        category=category,
        country=answers.get("country"),
        safe_to_contact=safe == "yes" or safe.startswith("+"),
        safe_phone=safe if safe.startswith("+") and safe != phone else None,
        story=story or None,
        consent_to_refer=(consent or answers.get("consent")) == "yes",
        channel=channel,
        source_key=source_key,
        incomplete=incomplete,
        said_unsafe=safe == "no",
    )


def validate_consent_reply(text: str) -> tuple[str | None, str | None]:
    """1 (yes) or 2 (no), optionally followed by a short story ("1 gaji belum dibayar"): kept as typed."""
    value = " ".join(text.split())
    first = value.split(" ", 1)[0].rstrip(".,") if value else ""
    return (value, None) if first in ("1", "2") else (None, "error.consent_reply")


def split_consent(reply: str) -> tuple[str, str | None]:
    """A validated consent reply as ("yes"/"no", the story that followed the number, if any)."""
    first, _, rest = reply.partition(" ")
    return ("yes" if first.rstrip(".,") == "1" else "no"), (rest.strip()[:STORY_MAX] or None)


def open_case(turn: FlowTurn) -> None:
    """Open the case once for this session or conversation, alert staff (and, by USSD, confirm when safe)."""
    answers = turn.answers
    report = report_from(turn.phone, answers, turn.ctx.channel, turn.ctx.session_key)
    if turn.ctx.channel != "sms" and "category" not in answers:
        log.error("report end reached without a category")
        return
    with database.atomic():
        ReportDraft.discard(turn.ctx.session_key)  # in the same transaction: the case now holds the answers
        flooded = flood_target(turn.phone) if Case.for_source(report.source_key) is None else None
        if flooded is not None:
            join_latest_case(turn, flooded, report)
            answers["case_code"] = flooded.display_code
            return
        case, created = Case.open(report)
        if created:
            for outgoing in notices.alerts(case, turn.lookups):
                turn.queued(outgoing)
            turn.queued(escalation_spec(case.id, 1, case.ack_due_at))
    if created:  # after the commit: its sending limits ask Redis, which must not hold the case's write lock
        for outgoing in notices.confirmation(case, turn.lookups):
            turn.queued(outgoing)
    answers["case_code"] = case.display_code


def join_latest_case(turn: FlowTurn, case: Case, report: Report) -> None:
    """One number past REPORTS_PER_DAY: its report joins its latest open case as a message (its holder told at most
    once an hour), so a flood from one phone opens no more cases and buries no one's alert."""
    words = f"[{report.category}, {report.country or '-'}] {report.story or ''}".strip()
    if has_message(case, turn.phone, words, utcnow() - REPLAY_WINDOW):
        return
    log.info("report from %s past REPORTS_PER_DAY joins case %s", mask(turn.phone), case.display_code)
    if record_message(case, turn.phone, words, turn.ctx.channel):
        for outgoing in message_alerts(case, words, turn.lookups):
            turn.queued(outgoing)


REPLAY_WINDOW = dt.timedelta(minutes=10)
"""A report step replayed within this long adds nothing again."""


def _lapor(turn: SmsTurn, found: Match) -> None:
    if found.argument.strip():
        turn.start_flow(SMS_ROOT_WITH_STORY, first_inputs=[found.argument])
    else:
        turn.start_flow(SMS_ROOT)


CATEGORY_ORDER = (
    *sorted(URGENT_CATEGORIES, key=CATEGORIES.index),
    *(c for c in CATEGORIES if c not in URGENT_CATEGORIES),
)
"""The problems as a reporter sees them: the urgent ones first, so none is behind a "next page"."""

REPORT_COUNTRIES = (*COUNTRIES[:-1], "indonesia", COUNTRIES[-1])
"""Where the trouble is: the destinations, Indonesia for someone cheated before leaving, then "other"."""


def _problem_screens(prefix: str, after_country: str) -> tuple[Screen, ...]:
    """For whom, the problem, the country: the same questions by USSD and (after "safe") by SMS."""
    return (
        Menu(
            f"{prefix}.for_whom" if prefix != ROOT else ROOT,
            "report.for_whom",
            store="for_whom",
            options=tuple(Option(f"report.for.{w}", f"{prefix}.category", value=w) for w in FOR_WHOM),
        ),
        Menu(
            f"{prefix}.category",
            "report.category",
            store="category",
            options=tuple(Option(f"case.category.{c}", f"{prefix}.country", value=c) for c in CATEGORY_ORDER),
        ),
        Menu(
            f"{prefix}.country",
            "report.country",
            store="country",
            options=tuple(Option(f"country.{c}", after_country, value=c) for c in REPORT_COUNTRIES),
        ),
    )


USSD_SCREENS: tuple[Screen, ...] = (
    *_problem_screens(ROOT, "report.safe"),
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
)
"""The USSD report: its screens leave no trace on the phone."""

SMS_SCREENS: tuple[Screen, ...] = (
    Input(SMS_ROOT_WITH_STORY, "report.story", store="story", validator="story", next=SMS_ROOT),
    Input(
        SMS_ROOT,
        "report.sms.safe",
        store="safe",
        validator="safe_contact",
        next="report.sms.after_safe",
        free_text=False,
    ),
    Switch("report.sms.after_safe", cases=(("said_safe", "report.sms.for_whom"),), default="report.sms.end"),
    *_problem_screens("report.sms", "report.sms.consent"),
    Switch("report.sms.consent", cases=(("has_story", "report.sms.consent_only"),), default="report.sms.consent_story"),
    Input(
        "report.sms.consent_only",
        "report.sms.consent",
        store="consent_reply",
        validator="consent_reply",
        next="report.sms.end",
        free_text=False,
    ),
    Input(
        "report.sms.consent_story",
        "report.sms.consent_story",
        store="consent_reply",
        validator="consent_reply",
        next="report.sms.end",
        free_text=False,
    ),
    End("report.sms.end", "report.sms.end", action="open_case"),
)
"""The SMS report: safe first, neutral until "yes", one neutral end."""

FEATURE = Feature(
    name="report",
    menu_entries=(MenuEntry(MAIN_MENU, Option("main.report", ROOT), order=30),),
    roots=(ROOT, SMS_ROOT, SMS_ROOT_WITH_STORY),
    screens=(*USSD_SCREENS, *SMS_SCREENS),
    conditions={
        "has_story": lambda turn: bool(turn.answers.get("story")),
        "said_safe": lambda turn: turn.answers.get("safe") == "yes",
    },
    actions={"open_case": open_case},
    validators={
        "safe_contact": validate_safe_contact,
        "story": validate_story,
        "consent_reply": validate_consent_reply,
    },
    placeholders={"case_code": Placeholder(lambda turn: turn.answers.get("case_code", ""), fixed_sample("K7M-3QX"))},
    keywords=(Keyword("LAPOR", ("REPORT", "ADUAN", "NGADU"), _lapor),),
)
"""The report flows (USSD and SMS) and the LAPOR keyword."""
