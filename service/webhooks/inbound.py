"""The one inbound SMS path of every provider: stored once, answered in the same transaction, then enqueued."""

from __future__ import annotations

import logging

from flask import Response, current_app, jsonify

from menus.sms_router import IncomingSmsTurn
from models import Message, database
from models.base import UNREACHABLE_ERRORS
from models.jobs import enqueue_after_commit
from service.config import offered_ussd_code

log = logging.getLogger(__name__)


def unavailable(what: str) -> tuple[Response, int]:
    """503 naming what is down, so the provider retries later."""
    return jsonify(error=f"{what} unavailable, retry later"), 503


def receive_sms(sender: str, text: str, provider_id: str, via: str | None = None) -> tuple[Response, int]:
    """Store an incoming SMS once (by the provider's unique id; `via`: the pool's phone it came to) and answer it in
    one transaction, then 200.

    A replayed id is 200 and does nothing. 503 only when the database cannot be reached (the provider
    retries); a bug in a handler is answered with the apology inside the same transaction, and the SMS
    stays stored.
    """
    try:
        with database.atomic():
            if Message.record_inbound(sender, text, provider_id, via) is None:
                log.info("SMS %s already received; replay ignored", provider_id)
                return jsonify(status="duplicate"), 200
            turn = IncomingSmsTurn(
                current_app.extensions["menus"], sender, text, provider_id, offered_ussd_code(current_app.config)
            )
            queued = turn.handle_safely()
    except UNREACHABLE_ERRORS:
        log.exception("could not store SMS %s; answering 503 so the provider retries", provider_id)
        return unavailable("database")
    enqueue_after_commit(queued)
    return jsonify(status="received", replies=len(queued)), 200
