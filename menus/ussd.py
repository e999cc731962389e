"""A USSD step: turn AT's `text` path into inputs, run the flow from the main menu, frame the reply."""

from __future__ import annotations

import logging

from menus import catalog, engine
from menus.behaviour import RegistryBehaviour
from menus.registry import Registry
from menus.screens import MAIN_MENU
from menus.turn import Lookups
from models.gsm import fold_to_gsm7
from models.jobs import AfterCommit
from models.settings import SETTINGS

log = logging.getLogger(__name__)

USSD_MAX_CHARS = 160
"""Longest reply, prefix included, that every operator shows whole."""

MAX_INPUTS = 60
"""Inputs beyond this in one session are ignored (telcos end sessions long before)."""


def session_key(session_id: str) -> str:
    """The key a USSD session's actions are made idempotent by (registrations, reports)."""
    return f"ussd:{session_id}"


def split_path(text: str) -> list[str]:
    """AT's `text` ("", "1", "1*Budi") as a list of inputs; empty text is no input."""
    if not text:
        return []
    return text.split("*")[:MAX_INPUTS]


def frame(reply_text: str, end: bool) -> str:
    """Prefix with CON/END and keep the whole reply GSM-7 and within 160 characters."""
    prefix = "END " if end else "CON "
    body = fold_to_gsm7(reply_text).strip() or "-"
    limit = USSD_MAX_CHARS - len(prefix)
    if len(body) > limit:
        log.error("USSD reply over %d characters was cut", USSD_MAX_CHARS)
        body = body[:limit]
    return prefix + body


def apology(language: str) -> str:
    """The END reply for an internal error."""
    return frame(catalog.text("error.internal", language), end=True)


def handle_step(registry: Registry, session_id: str, phone: str, text: str) -> tuple[str, list[AfterCommit]]:
    """Answer one USSD request; return the framed reply and the SMS written by it (to enqueue after commit)."""
    lookups = Lookups()
    person = lookups.person(phone)
    language = (person.language if person else None) or SETTINGS.default_language
    ctx = engine.Context(phone=phone, session_key=session_key(session_id), channel="ussd", language=language)
    behaviour = RegistryBehaviour(registry, lookups)
    reply = engine.run(registry.flows, MAIN_MENU, split_path(text), ctx, behaviour)
    for hook in registry.ussd_step_hooks:
        hook(behaviour.turn(ctx), reply)
    return frame(reply.text, reply.end), ctx.outgoing
