"""An incoming SMS: a staff command from staff, else the sender's conversation, else a keyword's handler.

A staff command from anyone else that its own test finds plainly meant for staff ("TERIMA K7M-4RX") gets a
polite "not available" and changes nothing; staff words without that ("Terima kasih pak") go the usual way, from
staff too when the command's own test finds them ordinary words (`StaffKeyword.meant_by_staff`).

Keyword handlers and staff commands come from the features (`menus.registry`), and so do the hooks offered an
SMS that is no keyword (or a mistyped one) before the help answers it (a reporter writing again). A bug inside a
handler is rolled back to a savepoint and answered with the polite apology: the incoming SMS stays stored and
the webhook still answers 200, so the provider does not retry a bug every minute for hours.
"""

from __future__ import annotations

import logging

from menus import catalog, engine, staff_commands
from menus.behaviour import RegistryBehaviour
from menus.keywords import Match, match
from menus.notify import language_for, notify, send_text
from menus.registry import Registry
from menus.screens import Input
from menus.turn import Lookups, help_key
from models import Conversation, Person, Staff, database, utcnow
from models.base import UNREACHABLE_ERRORS
from models.conversation import MAX_INPUTS, MAX_INVALID_ANSWERS
from models.jobs import AfterCommit
from models.phones import mask

log = logging.getLogger(__name__)


class IncomingSmsTurn:
    """One incoming SMS being answered (a `menus.turn.SmsTurn`); replies are written in the caller's transaction
    and enqueued after it."""

    def __init__(self, registry: Registry, phone: str, text: str, message_id: str, ussd_code: str) -> None:
        self.registry, self.phone, self.text = registry, phone, text or ""
        self.message_id, self.ussd_code = message_id, ussd_code
        self.lookups = Lookups()
        self.behaviour = RegistryBehaviour(registry, self.lookups)
        self.language = language_for(phone, self.lookups)
        self.conversation: Conversation | None = None
        self.outgoing: list[AfterCommit] = []
        self.channel = "sms"

    @property
    def person(self) -> Person | None:
        """The sender's person row, if any."""
        return self.lookups.person(self.phone)

    @property
    def staff(self) -> Staff | None:
        """The sender as active staff, if they are."""
        return self.lookups.staff(self.phone)

    def reply(self, key: str, params: dict[str, str] | None = None) -> None:
        """Answer the sender with a catalog text, in their language."""
        self.outgoing.append(notify(self.phone, key, params, "reply", language=self.language, lookups=self.lookups))

    def reply_text(self, text: str) -> None:
        """Answer the sender with text already rendered in their language (a flow screen)."""
        self.outgoing.append(send_text(self.phone, text, "reply", lookups=self.lookups))

    def handle_safely(self) -> list[AfterCommit]:
        """Answer the SMS; a bug in a handler is undone and answered with the apology (database errors propagate)."""
        try:
            with database.atomic():
                return self.handle()
        except UNREACHABLE_ERRORS:
            raise
        except Exception:
            log.exception("SMS handler failed for %s; the apology was sent", mask(self.phone))
            self.outgoing = []
            self.reply("error.internal")
            return self.outgoing

    def handle(self) -> list[AfterCommit]:
        """Answer the SMS; return the replies written."""
        command = staff_commands.parse(self.text, self.registry.staff_commands)
        declared = self.registry.staff_commands[command.keyword] if command is not None else None
        if command is not None and declared is not None and self.staff is not None:
            if declared.meant_by_staff(command):
                declared.handler(self, command)
                return self.outgoing
            log.info("%s from staff %s: ordinary words, not the command", command.keyword, mask(self.phone))
        elif command is not None and declared is not None and declared.plainly_for_staff(command):
            log.info("staff command %s from %s, not staff: not available", command.keyword, mask(self.phone))
            self.reply("staff.only")
            return self.outgoing
        conversation = self.conversation = Conversation.for_phone(self.phone)
        found = match(self.text, self.registry.aliases)
        inputs = conversation.active_inputs()
        if inputs is not None and not self._interrupts(found, conversation):
            self._continue(conversation, inputs + [self.text.strip()])
        elif (
            self.text.strip()
            and (not found.exact or self._words_after_a_bare_keyword(found))
            and self._answered_by_a_feature()
        ):
            log.info("SMS from %s answered by a feature's hook", mask(self.phone))
        elif found.keyword:
            if inputs is not None and conversation.flow not in self.registry.patient_roots:
                conversation.finish()
            self.registry.keywords[found.keyword].handler(self, found)
        elif not self.text.strip():
            if conversation.may_send_help():
                self.reply(help_key("sms.help", self.ussd_code), {"code": self.ussd_code})
        elif conversation.may_send_help():
            suggestion = (
                catalog.text("sms.suggestion", self.language, {"keyword": found.suggestion}) if found.suggestion else ""
            )
            self.reply(help_key("sms.unknown", self.ussd_code), {"suggestion": suggestion, "code": self.ussd_code})
        else:
            log.info("no reply to an unknown SMS: help was sent within the hour")
        return self.outgoing

    def _words_after_a_bare_keyword(self, found: Match) -> bool:
        """True for words after a keyword that reads none ("Tolong saya dipukul" is not a request for help)."""
        return (
            bool(found.argument) and found.keyword is not None and not self.registry.keywords[found.keyword].takes_text
        )

    def _answered_by_a_feature(self) -> bool:
        """Offer an SMS that is no keyword (or only a mistyped one) to the features' hooks
        (`Feature.on_unmatched_sms`), in order, before the help answers it."""
        return any(hook(self) for hook in self.registry.unmatched_sms_hooks)

    def _interrupts(self, found: Match, conversation: Conversation) -> bool:
        """An exact keyword leaves a conversation, except on a free-text screen (a name like Wiwit is a name)."""
        if not found.exact or found.keyword is None:
            return False
        screen = self.registry.flows.screens.get(conversation.screen or "")
        awaits_text = isinstance(screen, Input) and screen.free_text
        return not awaits_text or self.registry.keywords[found.keyword].interrupts_text

    def start_flow(self, root: str, first_inputs: list[str] | None = None) -> None:
        """Begin a conversation at `root` (answering its first screens with `first_inputs`) and send the screen."""
        conversation = self.conversation or Conversation.for_phone(self.phone)
        conversation.start(root, started_by=self.message_id)
        self._continue(conversation, list(first_inputs or []))

    def _continue(self, conversation: Conversation, inputs: list[str]) -> None:
        if len(inputs) > MAX_INPUTS:
            log.info("conversation ended quietly after %s answers", MAX_INPUTS)
            self._end_quietly(conversation)
            return
        assert conversation.flow, "only a started conversation continues"
        ctx = engine.Context(self.phone, f"sms:{conversation.started_by}", "sms", self.language)
        result = engine.run(self.registry.flows, conversation.flow, inputs, ctx, self.behaviour)
        self.language = ctx.language
        self.outgoing.extend(ctx.outgoing)
        if result.end:
            conversation.finish()
        else:
            conversation.advance(inputs, result.screen_id, invalid=result.error)
            if conversation.invalid_answers >= MAX_INVALID_ANSWERS:
                log.info("conversation ended quietly after %s invalid answers in a row", MAX_INVALID_ANSWERS)
                self._end_quietly(conversation)
                return
        self.reply_text(result.text)

    @staticmethod
    def _end_quietly(conversation: Conversation) -> None:
        """End a conversation without a reply, counting it as help sent (no loop with an auto-responder)."""
        conversation.last_help_at = utcnow()
        conversation.finish()
