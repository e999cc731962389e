"""A case that can talk back: the reporter writes again, staff read the case's words and answer through the service.

- A message from a number with an open case (the reporter's, or its safe number) that nothing else answers joins the
  case (`case_talk.record_message`); its holder, or the organisers its alert went to while nobody holds it, hear of it
  with its first words, and the sender gets one neutral acknowledgement: at most once an hour per case, however
  many come (every message is kept).
- `DETAIL <code>`: the story and the latest words (the reporter's messages, the staff's notes and answers), in
  three SMS segments at most; an official reads only a case referred to them, and the reporter's words only with
  consent. `DETAIL` alone stays the official's list (`desk.detail`).
- `BALAS <code> <text>`: an organiser's own words to the reporter, to the number the case's rules allow
  (`case_talk.reply_phone`), in neutral words; it waits out quiet hours like other news about a case.
- A second `TERIMA` names who holds the case; when someone takes it, the others who were told of it hear so once.

Logs carry case codes and masked phones, never a message, a story or a note.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from menus import catalog
from menus.feature import Feature, StaffKeyword, fixed_sample
from menus.features.cases.commands import named_case, names_a_case, sender
from menus.fitting import MAX_SEGMENTS, cut_to_fit, fits, list_that_fits
from menus.notify import language_for, notify
from menus.turn import Lookups
from models.case import Case
from models.case_access import may_read, may_share_identity_with
from models.case_alerts import alerted_handlers
from models.case_talk import (
    latest_words,
    message_recipients,
    open_for_sender,
    record_message,
    record_reply,
    reply_phone,
)
from models.case_terms import CaseError
from models.gsm import fold_to_gsm7, sms_size
from models.message import Outgoing
from models.neutral_words import non_neutral_word
from models.phones import mask
from models.settings import to_local
from models.staff import Staff

if TYPE_CHECKING:
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

log = logging.getLogger(__name__)

ALERT_SEGMENTS = 1
"""The staff's "new message" SMS carries the message's first words within one segment."""

DETAIL_SEGMENTS = 3
"""DETAIL's answer: the story and the latest words within three segments."""

ITEM_CHARACTERS = 140
"""The longest one story, message or note is shown in DETAIL (longer ones are cut, ending in "...")."""

ITEM_SEPARATOR = "; "

HONORIFICS = frozenset({"bu", "ibu", "pak", "bapak", "mas", "mbak", "bp", "bpk", "sdr", "sdri"})
"""Words before a first name ("Bu Ani" is Ani)."""


# Helpers ---------------------------------------------------------------------------------------------------


def first_name(staff: Staff) -> str:
    """How a colleague is named to others: the first word of their name that is not a title, GSM-7."""
    words = fold_to_gsm7(staff.name or "").split()
    named = [word for word in words if word.lower().strip(".") not in HONORIFICS]
    return (named or words or ["-"])[0]


def _words(text: str) -> str:
    """Text as an SMS can carry it: GSM-7, one space between words."""
    return " ".join(fold_to_gsm7(text or "").split())


# The reporter writes again ---------------------------------------------------------------------------------


def reporter_writes(turn: SmsTurn) -> bool:
    """An SMS nothing else answered, from a number with an open case (not staff): it joins the case. False for
    anyone else (the usual help answers them)."""
    if turn.staff is not None:
        return False
    case = open_for_sender(turn.phone)
    if case is None:
        return False
    tell = record_message(case, turn.phone, turn.text)
    log.info("message from %s joins case %s (staff told: %s)", mask(turn.phone), case.display_code, tell)
    if tell:
        turn.outgoing.extend(message_alerts(case, turn.text, turn.lookups))
        turn.reply("case.talk.received", {"code": case.display_code})
    return True


def message_alerts(case: Case, text: str, lookups: Lookups) -> list[Outgoing]:
    """The "new message on <code>" alert with its first words in one segment, to whom `case_talk.message_recipients`
    names."""
    written = []
    words = _words(text)
    for member in message_recipients(case):
        lookups.remember_staff(member)
        language = language_for(member.phone, lookups)

        def render(value: str, language: str = language) -> str:
            return catalog.text("case.talk.new_message", language, {"code": case.display_code, "words": value})

        shown = cut_to_fit(render, words, ALERT_SEGMENTS)
        written.append(
            notify(
                member.phone,
                "case.talk.new_message",
                {"code": case.display_code, "words": shown},
                "alert",
                language=language,
                lookups=lookups,
            )
        )
    return written


# DETAIL <code> ---------------------------------------------------------------------------------------------


def detail(turn: SmsTurn, command: StaffCommand) -> None:
    """DETAIL <code>: the story, then the latest words newest first, within three segments."""
    staff, case = sender(turn), named_case(turn, command)
    if case is None:
        return
    if not may_read(case, staff):
        log.info("DETAIL %s from %s: not theirs to read", case.display_code, mask(turn.phone))
        turn.reply("case.talk.detail.not_yours", {"code": case.display_code})
        return
    language = turn.language
    params = {"code": case.display_code, "status": catalog.text(f"case.status_short.{case.status}", language)}
    items = _detail_items(case, staff, language)
    if not items:
        turn.reply("case.talk.detail.empty", params)
        return

    def render(shown: str) -> str:
        return catalog.text("case.talk.detail", language, {**params, "talk_items": shown})

    turn.reply(
        "case.talk.detail", {**params, "talk_items": list_that_fits(render, items, ITEM_SEPARATOR, DETAIL_SEGMENTS)}
    )
    log.info("DETAIL %s read by %s", case.display_code, mask(turn.phone))


def _detail_items(case: Case, staff: Staff, language: str) -> list[str]:
    """The story first (or that the reporter's words are not shared), then the latest words, newest first."""
    shares = may_share_identity_with(case, staff)
    items = []
    if not shares:
        items.append(catalog.text("case.talk.detail.hidden", language))
    elif case.story:
        items.append(_item("case.talk.detail.story", language, case.created_at, case.story))
    names: dict[str, str] = {}
    for event in latest_words(case):
        if event.kind == "message":
            if shares:
                items.append(_item("case.talk.detail.message", language, event.created_at, event.note))
            continue
        if event.actor not in names:
            actor = Staff.get_or_none(Staff.phone == event.actor)
            names[event.actor] = first_name(actor) if actor is not None else "-"
        key = "case.talk.detail.reply" if event.kind == "reply" else "case.talk.detail.note"
        items.append(_item(key, language, event.created_at, event.note, names[event.actor]))
    return items


def _item(key: str, language: str, when: dt.datetime, text: str | None, name: str = "") -> str:
    """One dated story, message or note, cut to ITEM_CHARACTERS."""
    words = _words(text or "")
    if len(words) > ITEM_CHARACTERS:
        words = words[:ITEM_CHARACTERS].rsplit(" ", 1)[0].rstrip(" ,.;:") + "..."
    return catalog.text(key, language, {"date": to_local(when).strftime("%d/%m"), "words": words, "name": name})


# BALAS <code> <text> ---------------------------------------------------------------------------------------


def balas(turn: SmsTurn, command: StaffCommand) -> None:
    """BALAS <code> <text>: the organiser's words to the reporter, through the service number, where it is safe."""
    staff, case = sender(turn), named_case(turn, command)
    if case is None:
        return
    params = {"code": case.display_code}
    words = _words(command.rest)
    if not words:
        turn.reply("case.usage.balas")
        return
    try:
        phone = reply_phone(case)
    except CaseError as error:
        log.info("BALAS %s from %s refused: %s", case.display_code, mask(turn.phone), error.key)
        turn.reply(error.key, {**params, "phone": case.safe_phone or ""})
        return
    word = non_neutral_word(words)
    if word is not None:
        log.info("BALAS %s from %s refused: a word that is not neutral", case.display_code, mask(turn.phone))
        turn.reply("case.talk.reply.not_neutral", {**params, "word": word})
        return
    language = language_for(phone, turn.lookups)
    text = catalog.text("case.talk.reply.to_reporter", language, {**params, "words": words})
    if not fits(text, MAX_SEGMENTS):
        room = MAX_SEGMENTS * 153 - sms_size(catalog.text("case.talk.reply.to_reporter", language, params)).units
        turn.reply("case.talk.reply.too_long", {**params, "count": str(room)})
        return
    try:
        record_reply(case, staff, words, turn.channel)
    except CaseError as error:
        turn.reply(error.key, params)
        return
    sent = notify(
        phone,
        "case.talk.reply.to_reporter",
        {**params, "words": words},
        "case_reply",
        language=language,
        lookups=turn.lookups,
    )
    turn.outgoing.append(sent)
    log.info("BALAS %s from %s to %s (refused: %s)", case.display_code, mask(turn.phone), mask(phone), sent.refused)
    if sent.refused:
        turn.reply("case.talk.reply.refused", params)
    elif sent.due_at is not None:
        turn.reply("case.talk.reply.waits", {**params, "phone": phone, "time": to_local(sent.due_at).strftime("%H:%M")})
    else:
        turn.reply("case.talk.reply.done", {**params, "phone": phone})


# TERIMA: who holds it --------------------------------------------------------------------------------------


def held_by_another(turn: SmsTurn, case: Case, staff: Staff) -> bool:
    """A TERIMA of a case someone else holds: answer who holds it (True), else False (it goes the usual way)."""
    holder = case.holder()
    if holder is None or holder.phone == staff.phone:
        return False
    log.info("TERIMA %s from %s: held by %s", case.display_code, mask(turn.phone), mask(holder.phone))
    turn.reply("case.talk.held", {"code": case.display_code, "name": first_name(holder)})
    return True


def taken(case: Case, taker: Staff, lookups: Lookups) -> list[Outgoing]:
    """The case was just taken: the others who were told of it hear who took it, so nobody calls twice."""
    written = []
    for member in alerted_handlers(case):
        if member.phone == taker.phone:
            continue
        lookups.remember_staff(member)
        written.append(
            notify(
                member.phone,
                "case.talk.taken",
                {"code": case.display_code, "name": first_name(taker)},
                "alert",
                lookups=lookups,
            )
        )
    return written


FEATURE = Feature(
    name="case_talk",
    staff_commands=(StaffKeyword("BALAS", balas, names_a_case),),
    on_unmatched_sms=reporter_writes,
    sms_samples={
        "words": fixed_sample(
            "Saya sudah di rumah teman di Tai Po, majikan masih pegang dokumen saya, tolong telepon sore jam 5 saja"
        ),
        "talk_items": fixed_sample(
            "30/11 cerita: Majikan menahan gaji saya tiga bulan dan dokumen dipegang agen, saya tidak boleh keluar "
            "rumah...; 01/12 Siti: Sudah ditelepon ibunya, minta dokumen kontrak"
        ),
        "time": fixed_sample("06:00"),
        "word": fixed_sample("perdagangan"),
    },
)
"""The reporter writing again, BALAS and the samples of their texts (DETAIL <code> and TERIMA's answers are the
desk's commands, which call this module)."""
