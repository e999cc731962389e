"""An incoming SMS: continue the sender's conversation, or route its first word to a keyword handler."""
from __future__ import annotations

import logging
from typing import Callable

from menus import catalog, engine
from menus.behaviour import ModelBehaviour
from menus.flows import FLOWS, LANGUAGE, PROFILE, REGISTER
from menus.keywords import Match, match
from menus.screens import Input
from models import Conversation, Message, Person, utcnow
from models.conversation import MAX_INVALID_ANSWERS

log = logging.getLogger(__name__)

INFO_TOPICS = {
    "AMAN": "info.safe.text", "SAFE": "info.safe.text", "MIGRASI": "info.safe.text",
    "HAK": "info.rights.text", "RIGHTS": "info.rights.text",
    "KONTAK": "info.contacts.text", "CONTACT": "info.contacts.text", "CONTACTS": "info.contacts.text",
}
LANGUAGE_WORDS = {
    "ID": "id", "INDONESIA": "id", "INDO": "id",
    "JV": "jv", "JAWA": "jv", "JAVA": "jv", "JAVANESE": "jv",
    "EN": "en", "ENGLISH": "en", "INGGRIS": "en",
}
COMING_SOON = ("LAPOR", "LATIH", "STATUS", "CEK")
ALWAYS_INTERRUPT = ("BERHENTI",)
"""Keywords that leave a conversation even where free text is expected."""


class SmsTurn:
    """One incoming SMS being answered; replies are queued as outbound messages in the caller's transaction."""

    def __init__(self, phone: str, text: str, message_id: str, default_language: str, ussd_code: str) -> None:
        self.phone, self.text, self.message_id, self.ussd_code = phone, text or "", message_id, ussd_code
        self.behaviour = ModelBehaviour()
        self.person = self.behaviour.person_for(phone)
        self.language = self.behaviour.language_for(phone, default_language)
        self.queued: list[int] = []

    def reply(self, key_or_text: str, params: dict[str, str] | None = None, literal: bool = False) -> None:
        """Queue a reply in the sender's language."""
        body = key_or_text if literal else catalog.text(key_or_text, self.language, params)
        self.queued.append(Message.queue_outbound(self.phone, body, "reply"))

    def handle(self) -> list[int]:
        """Answer the SMS; return the ids of the replies queued."""
        conversation = Conversation.for_phone(self.phone)
        found = match(self.text)
        inputs = conversation.active_inputs()
        if inputs is not None and not self._interrupts(found, conversation):
            self._continue(conversation, inputs + [self.text.strip()])
        elif found.keyword:
            if inputs is not None:
                conversation.finish()
            HANDLERS[found.keyword](self, found, conversation)
        elif not self.text.strip():
            if conversation.may_send_help():
                self.reply("sms.help", {"code": self.ussd_code})
        elif conversation.may_send_help():
            suggestion = catalog.text("sms.suggestion", self.language, {"keyword": found.suggestion}) \
                if found.suggestion else ""
            self.reply("sms.unknown", {"suggestion": suggestion, "code": self.ussd_code})
        else:
            log.info("no reply to an unknown SMS: help was sent within the hour")
        return self.queued

    @staticmethod
    def _interrupts(found: Match, conversation: Conversation) -> bool:
        """An exact keyword leaves a conversation, except on a free-text screen (a name like Wiwit is a name)."""
        if not found.exact:
            return False
        awaits_text = isinstance(FLOWS.screens.get(conversation.screen or ""), Input)
        return not awaits_text or found.keyword in ALWAYS_INTERRUPT

    def start_flow(self, conversation: Conversation, root: str) -> None:
        """Begin a conversation at `root` and send its first screen."""
        conversation.start(root, started_by=self.message_id)
        self._continue(conversation, [])

    def _continue(self, conversation: Conversation, inputs: list[str]) -> None:
        ctx = engine.Context(self.phone, f"sms:{conversation.started_by}", "sms", self.language)
        result = engine.run(FLOWS, conversation.flow, inputs, ctx, self.behaviour)
        self.language = ctx.language
        self.queued.extend(ctx.queued_message_ids)
        if result.end:
            conversation.finish()
        else:
            conversation.advance(inputs, result.screen_id, invalid=result.error)
            if conversation.invalid_answers >= MAX_INVALID_ANSWERS:
                log.info("conversation ended quietly after %s invalid answers in a row", MAX_INVALID_ANSWERS)
                conversation.last_help_at = utcnow()
                conversation.finish()
                return
        self.reply(result.text, literal=True)


def _register(turn: SmsTurn, found: Match, conversation: Conversation) -> None:
    registered = turn.person is not None and turn.person.is_registered
    turn.start_flow(conversation, PROFILE if registered else REGISTER)


def _info(turn: SmsTurn, found: Match, conversation: Conversation) -> None:
    topic = INFO_TOPICS.get(found.argument.split()[0].upper() if found.argument else "")
    turn.reply(topic or "sms.info.menu")


def _language(turn: SmsTurn, found: Match, conversation: Conversation) -> None:
    language = LANGUAGE_WORDS.get(found.argument.split()[0].upper() if found.argument else "")
    if not language:
        turn.start_flow(conversation, LANGUAGE)
        return
    Person.contact(turn.phone).update_fields(language=language)
    turn.language = language
    turn.reply("language.saved")


def _opt_out(turn: SmsTurn, found: Match, conversation: Conversation) -> None:
    person = Person.contact(turn.phone)
    if person.opted_out_at is None:
        person.update_fields(opted_out_at=utcnow())
    turn.reply("sms.optout")


def _opt_in(turn: SmsTurn, found: Match, conversation: Conversation) -> None:
    person = Person.contact(turn.phone)
    if person.opted_out_at is not None:
        person.update_fields(opted_out_at=None)
    turn.reply("sms.optin")


def _help(turn: SmsTurn, found: Match, conversation: Conversation) -> None:
    turn.reply("sms.help", {"code": turn.ussd_code})


def _soon(turn: SmsTurn, found: Match, conversation: Conversation) -> None:
    turn.reply("sms.soon")


HANDLERS: dict[str, Callable[[SmsTurn, Match, Conversation], None]] = {
    "DAFTAR": _register,
    "INFO": _info,
    "BAHASA": _language,
    "BERHENTI": _opt_out,
    "MULAI": _opt_in,
    "BANTUAN": _help,
    **{keyword: _soon for keyword in COMING_SOON},
}
"""Keyword handlers by the Indonesian keyword."""
