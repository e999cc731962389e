"""SMS Gateway for Android's events at `POST /webhooks/smsgate`: signature, parse, domain call, reply.

The app signs every event (no token in the URL): 401 for a missing, wrong or stale signature before anything
else; 400 naming the field of a malformed event; 200 for an event type we do not use; 403 for an event from a
device other than ours (SMSGATE_DEVICE_ID, or the app's device list: `workers.gateways.smsgate_devices`). It
retries anything but a 2xx with a doubling back-off for about two days, so 503 means "try again later".
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, g, jsonify, request
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from models import Message, database, utcnow
from models.base import UNREACHABLE_ERRORS
from models.phones import mask
from service.webhooks.inbound import receive_sms, unavailable
from service.webhooks.payloads import BadPayload
from service.webhooks.smsgate_events import (
    PING,
    RECEIVED,
    Event,
    MessageStatus,
    Ping,
    SmsReceived,
    signature_problem,
)
from service.webhooks.vocabulary import SMSGATE_EVENT_STATUS
from workers.gateways import message_id_of
from workers.gateways.phones import is_pool, phones_of
from workers.gateways.smsgate import provider_words
from workers.gateways.smsgate_devices import (
    ALLOWED,
    LEARNING,
    ask_to_learn,
    known_devices,
    learn_spec,
    verdict,
)
from workers.pool import phone_of_device, pinged, sending_news
from workers.queues import enqueue, redis

log = logging.getLogger(__name__)
bp = Blueprint("smsgate", __name__)


def signing_keys() -> list[str]:
    """The keys events may be signed with: SMSGATE_WEBHOOK_SECRET and each pool phone's own (none empty)."""
    keys = [current_app.config.get("SMSGATE_WEBHOOK_SECRET") or ""]
    keys += [phone.webhook_secret for phone in phones_of(current_app.config)]
    return [key for key in dict.fromkeys(keys) if key] or [""]


@bp.before_request
def check_signature():
    """401 unless the body is signed with SMSGATE_WEBHOOK_SECRET (or a pool phone's own key) and the timestamp is
    fresh; the key that signed it is kept for the device check (a phone's event must carry that phone's key)."""
    problems = []
    for secret in signing_keys():
        problem = signature_problem(secret, request.get_data(cache=True), request.headers, time.time())
        if problem is None:
            g.smsgate_key = secret
            return None
        problems.append(problem)
    problem = next((p for p in problems if p != "wrong signature"), problems[0])
    log.log(logging.WARNING if signing_keys() != [""] else logging.ERROR, "smsgate event refused: %s", problem)
    return jsonify(error="unauthorized", reason=problem), 401


@bp.errorhandler(BadPayload)
def bad_payload(error: BadPayload):
    """400 naming the field."""
    log.info("rejected smsgate event: %s %s", error.field, error.problem)
    return jsonify(error="bad payload", field=error.field, problem=error.problem), 400


@bp.errorhandler(Exception)
def unexpected_error(error: Exception):
    """Last safety net: 503, so the app delivers the event again later."""
    if isinstance(error, HTTPException):
        return error
    log.exception("unexpected error in an smsgate event")
    return unavailable("service")


@bp.post("/webhooks/smsgate")
def event():
    """One event from the phone, dispatched on its type."""
    kind, data = Event.event_type(request.get_data(cache=True))
    handler = HANDLERS.get(kind)
    if handler is None:
        log.info("smsgate event %s not used; ignored", kind[:60])
        return jsonify(status="ignored"), 200
    parsed = Event.parse(kind, data)
    return device_refusal(parsed) or handler(parsed)


def device_refusal(event: Event):
    """None for an event from our phone (kept as `g.smsgate_phone`); else the refusal: 403 for another device (in a
    pool: a device no phone has, or one signed with another phone's key), 503 while the app's device list is being
    learnt (SMSGATE_DEVICE_ID not set) or cannot be, so the app keeps the event and retries."""
    phones = phones_of(current_app.config)
    device = provider_words(event.device_id, 64) or "(none)"
    phone = phone_of_device(phones, event.device_id)
    g.smsgate_phone = phone
    if is_pool(phones):
        if phone is None:
            log.warning(
                "smsgate %s event from device %s refused: no phone of SMSGATE_PHONES has it", event.event, device
            )
            return jsonify(error="forbidden", reason="unknown device"), 403
        if phone.webhook_secret != g.get("smsgate_key"):
            log.warning("smsgate %s event for phone %s refused: signed with another key", event.event, phone.label)
            return jsonify(error="forbidden", reason="signed with another phone's key"), 403
        return None
    configured = phones[0].device_ids
    if configured:
        if event.device_id in configured:
            return None
        log.warning("smsgate %s event from device %s refused: not SMSGATE_DEVICE_ID", event.event, device)
        return jsonify(error="forbidden", reason="unknown device"), 403
    try:
        connection = redis()
        found = verdict(event.device_id, known_devices(connection), utcnow())
        if found == LEARNING and ask_to_learn(connection):
            enqueue([learn_spec()], connection)
    except RedisError:
        log.exception("could not check the device of an smsgate event")
        return unavailable("redis")
    if found == ALLOWED:
        return None
    if found == LEARNING:
        log.warning(
            "smsgate %s event from device %s refused for now: the app's device list is being learnt "
            "(set SMSGATE_DEVICE_ID to skip this)",
            event.event,
            device,
        )
        return unavailable("device list")
    log.warning("smsgate %s event from device %s refused: not in the app's device list", event.event, device)
    return jsonify(error="forbidden", reason="unknown device"), 403


def sms_received(event: Event):
    """An incoming SMS: the same path as any provider's, de-duplicated on the event id."""
    sms = SmsReceived.parse(event.payload)
    if sms.sender is None:
        log.warning("SMS from %s ignored: not a phone number to answer", mask(sms.raw_sender))
        return jsonify(status="ignored", reason="sender is not a phone number"), 200
    phone = g.get("smsgate_phone")
    return receive_sms(sms.sender, sms.text, event.event_id, via=phone.name if phone is not None else None)


def message_status(event: Event):
    """News of a message we sent (`id` = our reference, which the app echoes as `messageId`)."""
    news = MessageStatus.parse(event.payload)
    status = SMSGATE_EVENT_STATUS[event.event]
    try:
        with database.atomic():
            known = Message.record_delivery(news.message_id, status, news.reason, message_id_of(news.message_id))
    except UNREACHABLE_ERRORS:
        log.exception("could not record an smsgate %s event", event.event)
        return unavailable("database")
    if not known:
        log.warning("smsgate %s for unknown message id %s ignored", event.event, news.message_id)
        return jsonify(status="unknown message"), 200
    log.info("message %s %s (smsgate event %s)", news.message_id, status, event.event_id)
    phone = g.get("smsgate_phone")
    if phone is not None and status in ("sent", "failed"):
        try:
            sending_news(current_app.config, redis(), phone, status == "failed", utcnow())
        except RedisError:
            log.exception("could not count an smsgate %s event to phone %s", event.event, phone.label)
    return jsonify(status="recorded"), 200


def ping(event: Event):
    """The phone is alive: keep the time for the health check; a phone of the pool that was out of rotation is back
    (the coordinators are told once)."""
    health = Ping.parse(event.payload).health
    try:
        pinged(current_app.config, redis(), event.device_id, health, utcnow())
    except RedisError:
        log.exception("could not record the phone's ping")
        return unavailable("redis")
    return jsonify(status="recorded"), 200


HANDLERS = {RECEIVED: sms_received, PING: ping, **{kind: message_status for kind in SMSGATE_EVENT_STATUS}}
"""The event types we use, each with its handler; any other type is acknowledged and ignored."""
