"""GET /simulator: a phone simulator for the embedded default, talking to the real webhooks as AT does."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from peewee import fn

from models import Message, Staff
from models.base import iso_utc, utcnow
from models.phones import InvalidPhone, mask, to_e164
from models.settings import to_local

log = logging.getLogger(__name__)
bp = Blueprint("simulator", __name__, url_prefix="/simulator")

CONVERSATION_LIMIT = 50
"""Most messages, in and out, the conversation shows for one number (the latest ones)."""

SHORT_CODE = "21234"
"""The short code the simulated phone sends SMS to (the `to` field of AT's callback)."""

NETWORK_CODE = "51010"
"""The network code the simulated phone reports (Telkomsel)."""

DEFAULT_PHONE = "081234567890"
"""The number the page starts with."""

QUICK_PICKS = (
    ("081234567890", "Tracap (08…)"),
    ("+6285712345678", "Kaliwiro (+62…)"),
    ("+85291234567", "Hong Kong (+852)"),
    ("+886912345678", "Taiwan (+886)"),
)
"""Numbers offered with one click: Indonesian and abroad."""

ROLE_LABELS = {"organizer": "Pengurus", "coordinator": "Koordinator", "official": "Pejabat"}
"""How the page names each staff role on its quick picks, in the order they are offered."""

STAFF_PICKS_LIMIT = 6
"""Most staff numbers offered with one click (`demo seed` adds one of each role)."""

LOOPBACK_ADDRESSES = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
"""Client addresses the simulator answers: the machine itself (a proxy in front would be its address)."""

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
"""Host header names the simulator answers (any other name, even resolving to 127.0.0.1, is DNS rebinding)."""


def _host_name(host: str) -> str:
    """The Host header without its port, lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_local_request() -> bool:
    """True when the client is loopback and the Host header names this machine, as the person running it typed."""
    return request.remote_addr in LOOPBACK_ADDRESSES and _host_name(request.headers.get("Host", "")) in LOCAL_HOSTS


@bp.before_request
def local_only():
    """Answer 404 to anyone but a browser on this machine: the page carries the webhook token, the conversation
    anyone's messages."""
    if not is_local_request():
        log.warning(
            "simulator refused a request from %s for host %r",
            request.remote_addr,
            request.headers.get("Host", "")[:100],
        )
        abort(404)


def staff_picks() -> list[tuple[str, str, str]]:
    """Active staff numbers as (number, role label, name), organisers first, so a person can act as staff."""
    order = list(ROLE_LABELS)
    staff = sorted(
        Staff.select().where(Staff.active == True),  # noqa: E712
        key=lambda s: (order.index(s.role) if s.role in order else len(order), s.phone),
    )
    return [(s.phone, ROLE_LABELS.get(s.role, s.role), s.name) for s in staff[:STAFF_PICKS_LIMIT]]


@bp.get("")
def page():
    """The simulator page; the webhook token is injected because the simulator is local-only."""
    config = current_app.config
    return render_template(
        "simulator.html",
        service_code=config["USSD_SERVICE_CODE"],
        token=config["WEBHOOK_TOKEN"],
        short_code=SHORT_CODE,
        network_code=NETWORK_CODE,
        default_phone=DEFAULT_PHONE,
        quick_picks=QUICK_PICKS,
        staff_picks=staff_picks(),
    )


def as_shown(message: Message) -> dict[str, object]:
    """One SMS as the conversation shows it: its direction, its local day and time, its status if it went out."""
    local = to_local(message.created_at)
    outgoing = message.direction == "out"
    return {
        "id": message.id,
        "direction": message.direction,
        "text": message.text,
        "purpose": message.purpose if outgoing else None,
        "status": message.status if outgoing else None,
        "created_at": iso_utc(message.created_at),
        "local": local.isoformat(timespec="seconds"),
        "day": f"{local:%d/%m/%Y}",
        "time": f"{local:%H:%M}",
    }


def replies_to(phone: str, provider_id: str) -> int | None:
    """SMS written to `phone` in answer to its SMS `provider_id` (those after it and before its next one, refused
    ones left out); None if that SMS is not this number's."""
    sms = Message.get_or_none(
        (Message.direction == "in") & (Message.provider_id == provider_id) & (Message.phone == phone)
    )
    if sms is None:
        return None
    after = (Message.phone == phone) & (Message.id > sms.id)
    next_sms = Message.select(fn.MIN(Message.id)).where(after & (Message.direction == "in")).scalar()
    replies = after & (Message.direction == "out") & (Message.status != "refused")
    if next_sms is not None:
        replies &= Message.id < next_sms
    return Message.select().where(replies).count()


@bp.get("/conversation")
def conversation():
    """One number's SMS both ways as JSON, oldest first (the latest CONVERSATION_LIMIT), times in TIMEZONE; with
    `sms` (the id the page gave an SMS it sent), how many replies to it were queued for this number."""
    try:
        phone = to_e164(request.args.get("phone", ""))
    except InvalidPhone:
        return jsonify(error="bad request", field="phone", problem="is not a phone number"), 400
    latest = (
        Message.select()
        .where(Message.phone == phone)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(CONVERSATION_LIMIT)
    )
    messages = [as_shown(m) for m in reversed(list(latest))]
    sms = request.args.get("sms", "")
    replies = replies_to(phone, sms) if sms else None
    log.debug("simulator conversation of %s: %d messages", mask(phone), len(messages))
    return jsonify(phone=phone, zone=to_local(utcnow()).tzname(), messages=messages, replies=replies)


def init_app(app: Flask) -> None:
    """Register the simulator, only when SIMULATOR_ENABLED (`SIMULATOR=1` with the outbox backend; `make run`)."""
    if not app.config.get("SIMULATOR_ENABLED"):
        return
    app.register_blueprint(bp)
    log.debug("phone simulator enabled at /simulator")
