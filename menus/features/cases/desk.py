"""Case staff commands by SMS: TERIMA, CATAT, SELESAI, BUKA, KASUS and, for officials, DETAIL (RUJUK is `referral`).

Only registered staff reach these handlers (the SMS router sees to it). Every rule (who may do what, which
change is allowed, who a case is referred to) is decided by `models.case*`; this module turns the decisions
into catalog texts. Each command answers its sender with what happened; a change of status also tells the
reporter, in neutral words and only when contact is safe (`notices.news_for_reporter`). Nothing changes on
an error. Logs carry case codes and masked phones, never a story or a note.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import Feature, StaffKeyword
from menus.features.cases import notices, referral_texts, talk
from menus.features.cases.commands import named_case, names_a_case, sender
from menus.features.cases.jobs import escalation_spec
from menus.fitting import pages
from models import database, utcnow
from models.case import HANDLER_ROLES, Case
from models.case_referral import accept_referral, note_referral, referred_to_official, resolve_referral
from models.case_terms import CaseError, looks_like_code
from models.phones import mask

if TYPE_CHECKING:
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)


ITEM_SEPARATOR = "; "
"""Between the cases of a KASUS or DETAIL list."""

# Answers ---------------------------------------------------------------------------------------------------


def _params(case: Case, language: str) -> dict[str, str]:
    return {"code": case.display_code, "status": catalog.text(f"case.status_short.{case.status}", language)}


def _changed(turn: SmsTurn, command: StaffCommand, case: Case, change: Callable[[], None]) -> bool:
    """Run one case change in a savepoint; if the case rules refuse it, answer why (nothing changed)."""
    try:
        with database.atomic():
            change()
    except CaseError as error:
        log.info("%s %s from %s refused: %s", command.keyword, case.display_code, mask(turn.phone), error.key)
        turn.reply(error.key, _params(case, turn.language))
        return False
    log.info("%s %s by %s: case is %s", command.keyword, case.display_code, mask(turn.phone), case.status)
    return True


def _done(turn: SmsTurn, case: Case, key: str, extra: dict[str, str] | None = None) -> None:
    """Answer the sender, then tell the reporter the new status (only when contact is safe)."""
    turn.reply(key, {**_params(case, turn.language), **(extra or {})})
    turn.outgoing.extend(notices.news_for_reporter(case, turn.lookups))


# Commands --------------------------------------------------------------------------------------------------


def terima(turn: SmsTurn, command: StaffCommand) -> None:
    """TERIMA <code>: an organiser or coordinator takes the case; an official accepts a case referred to them."""
    staff, case = sender(turn), named_case(turn, command)
    if case is None:
        return
    if staff.role == "official":
        first = case.referral_accepted_at is None
        if _changed(turn, command, case, lambda: accept_referral(case, staff, turn.channel)):
            turn.reply("case.referral.accepted", _params(case, turn.language))
            if first:
                turn.outgoing.extend(referral_texts.to_holder(case, staff, "case.referral.taken_by", turn.lookups))
    elif not talk.held_by_another(turn, case, staff) and _changed(
        turn, command, case, lambda: case.acknowledge(staff, turn.channel)
    ):
        _done(turn, case, "case.ack.done")
        turn.outgoing.extend(talk.taken(case, staff, turn.lookups))


def catat(turn: SmsTurn, command: StaffCommand) -> None:
    """CATAT <code> <note>: a note on the case's timeline; an official's, on a case referred to them, is passed
    back to the case's holder."""
    staff, case = sender(turn), named_case(turn, command)
    if case is None:
        return
    if staff.role == "official":
        if _changed(turn, command, case, lambda: note_referral(case, staff, command.rest, turn.channel)):
            turn.reply("case.referral.note_done", _params(case, turn.language))
            turn.outgoing.extend(
                referral_texts.to_holder(case, staff, "case.referral.note_by", turn.lookups, command.rest)
            )
    elif _changed(turn, command, case, lambda: case.add_note(staff, command.rest, turn.channel)):
        turn.reply("case.note.done", _params(case, turn.language))


def selesai(turn: SmsTurn, command: StaffCommand) -> None:
    """SELESAI <code> [note]: resolve the case; an official resolves a case referred to them, and its holder is
    told."""
    staff, case = sender(turn), named_case(turn, command)
    if case is None:
        return
    if staff.role == "official":
        if _changed(turn, command, case, lambda: resolve_referral(case, staff, command.rest or None, turn.channel)):
            _done(turn, case, "case.referral.resolved")
            turn.outgoing.extend(
                referral_texts.to_holder(case, staff, "case.referral.resolved_by", turn.lookups, command.rest)
            )
    elif _changed(turn, command, case, lambda: case.resolve(staff, command.rest or None, turn.channel)):
        _done(turn, case, "case.resolve.done")


def buka(turn: SmsTurn, command: StaffCommand) -> None:
    """BUKA <code> [note]: reopen a resolved case; its escalation clock starts over."""
    staff, case = sender(turn), named_case(turn, command)
    if case is not None and _changed(
        turn, command, case, lambda: case.reopen(staff, command.rest or None, turn.channel)
    ):
        _done(turn, case, "case.reopen.done")
        turn.outgoing.append(escalation_spec(case.id, 1, case.next_escalation_at))


def _page_number(command: StaffCommand) -> int:
    return int(command.code) if command.code.isdigit() and int(command.code) > 0 else 1


def _reply_list(turn: SmsTurn, command: StaffCommand, key: str, items: list[str]) -> None:
    """Answer with one page of a list (KASUS 2 is the second page), saying how many more there are."""
    language = turn.language

    def params(shown: list[str], left: int, next_page: int) -> dict[str, str]:
        more = (
            " "
            + catalog.text(
                "case.list.more", language, {"count": str(left), "keyword": command.keyword, "page": str(next_page)}
            )
            if left
            else ""
        )
        return {"count": str(len(items)), "items": ITEM_SEPARATOR.join(shown), "more": more}

    split = pages(lambda shown, left, next_page: catalog.text(key, language, params(shown, left, next_page)), items)
    number = min(_page_number(command), len(split))
    left = sum(len(page) for page in split[number:])
    turn.reply(key, params(split[number - 1], left, number + 1))


def kasus(turn: SmsTurn, command: StaffCommand) -> None:
    """KASUS [page]: the sender's open cases (theirs and the unassigned), code, status and category."""
    staff = sender(turn)
    if staff.role not in HANDLER_ROLES:
        turn.reply("case.list.official")
        return
    language = turn.language
    items = [
        catalog.text(
            "case.list.item",
            language,
            {
                **_params(case, language),
                "category": catalog.text(f"case.category_short.{case.category}", language),
            },
        )
        for case in Case.open_for(staff)
    ]
    if not items:
        turn.reply("case.list.none")
        return
    _reply_list(turn, command, "case.list", items)


def detail(turn: SmsTurn, command: StaffCommand) -> None:
    """DETAIL <code>: the case's story and latest words (`talk.detail`); DETAIL [page] (officials): the referred
    cases waiting for them, code, category and days open."""
    staff = sender(turn)
    if command.code and not command.code.isdigit():
        talk.detail(turn, command)
        return
    if staff.role != "official":
        turn.reply("case.usage.detail")
        return
    language, now = turn.language, utcnow()
    items = [
        catalog.text(
            "case.detail.item",
            language,
            {
                "code": case.display_code,
                "category": catalog.text(f"case.category_short.{case.category}", language),
                "days": str(max(0, (now - case.created_at).days)),
            },
        )
        for case in referred_to_official(staff)
    ]
    if not items:
        turn.reply("case.detail.none")
        return
    _reply_list(turn, command, "case.detail", items)


def not_a_plain_word(command: StaffCommand) -> bool:
    """A case command from staff is the command unless a plain word follows the keyword: "Terima kasih pak" is
    thanks (KASIH: letters only, not a code's shape) and goes the usual way; "TERIMA K7M3Q", a mistyped code, and
    "KASUS 2" stay commands."""
    return not command.code.isalpha() or looks_like_code(command.code)


FEATURE = Feature(
    name="case_desk",
    staff_commands=tuple(
        StaffKeyword(keyword, handler, names_a_case, not_a_plain_word)
        for keyword, handler in (
            ("TERIMA", terima),
            ("CATAT", catat),
            ("SELESAI", selesai),
            ("BUKA", buka),
            ("KASUS", kasus),
            ("DETAIL", detail),
        )
    ),
)
"""The case staff commands."""
