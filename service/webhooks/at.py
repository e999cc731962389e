"""Africa's Talking callbacks: each view parses, validates, calls the domain, replies."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from menus.registry import Registry
from menus.ussd import apology, handle_step, session_key
from models import Message, Person, database
from models.base import UNREACHABLE_ERRORS
from models.jobs import AfterCommit, enqueue_after_commit
from models.message import Outgoing
from models.phones import mask
from service.webhooks.inbound import receive_sms, unavailable
from service.webhooks.payloads import BadPayload, DeliveryReport, IncomingSms, OptOut, UssdSessionEnd, UssdStep
from service.webhooks.vocabulary import DELIVERY_STATUS

log = logging.getLogger(__name__)
bp = Blueprint("at", __name__, url_prefix="/webhooks/at")


DROPPED_SESSION_STATUSES = ("Incomplete", "Failed")
"""AT's end-of-session statuses that mean the caller did not reach the end."""


def _registry() -> Registry:
    return current_app.extensions["menus"]


@bp.before_request
def check_token():
    """403 unless the request carries the webhook token (checked before anything else)."""
    given = request.args.get("token", "")
    expected = current_app.config["WEBHOOK_TOKEN"]
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        return Response("forbidden\n", 403, mimetype="text/plain")
    return None


@bp.errorhandler(BadPayload)
def bad_payload(error: BadPayload):
    """400 naming the field."""
    log.info("rejected %s callback: %s %s", request.endpoint, error.field, error.problem)
    return jsonify(error="bad payload", field=error.field, problem=error.problem), 400


@bp.errorhandler(Exception)
def unexpected_error(error: Exception):
    """Last safety net: a USSD step answers a polite END, anything else 503 so AT retries later."""
    if isinstance(error, HTTPException):
        return error
    log.exception("unexpected error in %s", request.endpoint)
    if request.endpoint == "at.ussd":
        return Response(apology(current_app.config["DEFAULT_LANGUAGE"]), 200, mimetype="text/plain")
    return unavailable("service")


@bp.post("/ussd")
def ussd():
    """One USSD step; always 200 text/plain starting CON or END (an internal error is a polite END)."""
    step = UssdStep.parse(request.form)
    try:
        reply, queued = handle_step(_registry(), step.session_id, step.phone, step.text)
    except Exception:
        log.exception("USSD step failed for %s", mask(step.phone))
        reply, queued = apology(current_app.config["DEFAULT_LANGUAGE"]), []
    enqueue_after_commit(queued)
    return Response(reply, 200, mimetype="text/plain")


@bp.post("/sms")
def sms():
    """An incoming SMS: stored once (by AT's id) and answered in one transaction, then 200 (503 if the
    database cannot be reached, so AT retries)."""
    incoming = IncomingSms.parse(request.form)
    return receive_sms(incoming.sender, incoming.text, incoming.provider_id)


@bp.post("/delivery")
def delivery():
    """A delivery report: move the message forward; unknown ids are logged and acknowledged."""
    report = DeliveryReport.parse(request.form, DELIVERY_STATUS)
    try:
        with database.atomic():
            known = Message.record_delivery(report.provider_id, DELIVERY_STATUS[report.status], report.failure_reason)
    except UNREACHABLE_ERRORS:
        log.exception("could not record delivery report")
        return unavailable("database")
    if not known:
        log.warning("delivery report for unknown message id %s ignored", report.provider_id)
        return jsonify(status="unknown message"), 200
    return jsonify(status="recorded"), 200


@bp.post("/optout")
def optout():
    """A bulk SMS opt-out: the number gets no more broadcasts."""
    opt_out = OptOut.parse(request.form)
    try:
        with database.atomic():
            Person.opt_out(opt_out.phone)
    except UNREACHABLE_ERRORS:
        log.exception("could not record opt-out")
        return unavailable("database")
    log.info("opt-out recorded for %s", mask(opt_out.phone))
    return jsonify(status="opted out"), 200


@bp.post("/ussd-events")
def ussd_events():
    """End-of-session notification: a report cut off (Incomplete, Failed) becomes an incomplete case now."""
    event = UssdSessionEnd.parse(request.form)
    log.info(
        "USSD session %s ended: %s after %s ms%s",
        event.session_id,
        event.status or "?",
        event.duration_ms or "?",
        f" ({event.error_message})" if event.error_message else "",
    )
    if event.status not in DROPPED_SESSION_STATUSES:
        return jsonify(status="ok"), 200
    registry = _registry()
    try:
        with database.atomic():
            outgoing: list[AfterCommit] = []
            for dropped in registry.ussd_dropped_hooks:
                outgoing += dropped(session_key(event.session_id))
    except UNREACHABLE_ERRORS:
        log.exception("could not keep a dropped report session; answering 503 so AT retries")
        return unavailable("database")
    enqueue_after_commit(outgoing)
    return jsonify(status="ok", alerts=sum(1 for item in outgoing if isinstance(item, Outgoing))), 200
