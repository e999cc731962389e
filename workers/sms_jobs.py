"""The send job: claim a queued message, hand it to the gateway, record what the provider said."""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app

from models import Message, database, utcnow
from models.phones import mask
from workers.context import with_database
from workers.gateways import ACCEPTED, REJECTED, SendResult, make_gateway
from workers.queues import enqueue_send

log = logging.getLogger(__name__)


@with_database
def send_message(message_id: int) -> str:
    """Send one queued message; a message in any other status is left alone (the job is idempotent)."""
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        log.warning("send job for unknown message %s", message_id)
        return "missing"
    if message.direction != "out" or not message.claim_for_sending():
        log.info("message %s is %s, not sending it again", message_id, message.status)
        return "skipped"
    message = Message.get_by_id(message_id)
    gateway = make_gateway(current_app.config)
    results = gateway.send(message.text, [message.phone])
    result = results[0] if results else SendResult(message.phone, "retryable", error="gateway returned nothing")
    return record_result(message, result, current_app.config["SMS_RETRY_DELAYS"])


def record_result(message: Message, result: SendResult, retry_delays: list[float]) -> str:
    """Store the outcome of one attempt and schedule the next one if a retry can help."""
    now = utcnow()
    if result.outcome == ACCEPTED:
        _update(message, status="sent", provider_id=result.provider_id, cost=result.cost, last_error=None,
                next_attempt_at=None, updated_at=now)
        log.info("message %s to %s accepted by %s", message.id, mask(message.phone), result.provider_id)
        return "sent"
    if result.outcome == REJECTED:
        _update(message, status="rejected", last_error=(result.error or "rejected")[:200], updated_at=now)
        log.warning("message %s to %s rejected: %s", message.id, mask(message.phone), result.error)
        return "rejected"
    retry_number = message.attempts
    if retry_number > len(retry_delays):
        _update(message, status="failed", updated_at=now,
                last_error=f"gave up after {message.attempts} attempts: {result.error}"[:200])
        log.error("message %s to %s failed after %s attempts", message.id, mask(message.phone), message.attempts)
        return "failed"
    delay = retry_delays[retry_number - 1]
    _update(message, status="queued", last_error=(result.error or "retryable error")[:200], updated_at=now,
            next_attempt_at=now + dt.timedelta(seconds=delay))
    log.warning("message %s: retryable error (%s); attempt %s in %ss", message.id, result.error,
                message.attempts + 1, delay)
    enqueue_send(message.id, message.attempts, delay)
    return "retry"


def _update(message: Message, **fields: object) -> None:
    with database.atomic():
        Message.update(**fields).where(Message.id == message.id).execute()
