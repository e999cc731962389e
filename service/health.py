"""GET /healthz: one entry per dependency; 503 naming what is down.

With SMS_BACKEND=smsgate it also shows the phone (last ping, last accepted send, SMS today, daily limit left,
queue), or with a pool (SMSGATE_PHONES) each phone under `phones`. A silent phone (in a pool: one out of rotation)
makes the status `degraded` with the reason, and the answer stays 200: the service itself is up (USSD, webhooks,
the phone's own retried events all need it), and a load balancer that took a 503 for it would pull the one
server the phone's events must reach. 503 stays for what the service cannot work without. No active organiser
or no active coordinator is `degraded` too (`staff`, with the reason): a report would then alert nobody.
"""

from __future__ import annotations

import logging

import click
from flask import Blueprint, Flask, current_app, jsonify
from redis.exceptions import RedisError

from models import Staff, database, utcnow
from models.staffing import staffing_problems
from workers.gateways.phone_status import watch_phone
from workers.gateways.phones import is_pool, phones_of
from workers.pool import queued_per_phone, watch_pool
from workers.queues import redis

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def check_database() -> str:
    """'ok', or 'down: <error kind>'."""
    try:
        database.execute_sql("SELECT 1")
        return "ok"
    except Exception as error:  # any driver error means down
        log.warning("health: database down (%s)", type(error).__name__)
        return f"down: {type(error).__name__}"


def check_redis() -> str:
    """'ok', or 'down: <error kind>'."""
    try:
        redis().ping()
        return "ok"
    except RedisError as error:
        log.warning("health: redis down (%s)", type(error).__name__)
        return f"down: {type(error).__name__}"


def check_phone() -> dict[str, object]:
    """The phone's health (SMS_BACKEND=smsgate), logging an outage and the return once; with its SMS today, what
    its daily limit leaves and its queue."""
    try:
        health: dict[str, object] = {**watch_phone(redis(), utcnow()).to_dict()}
        [state] = watch_pool(current_app.config, redis(), utcnow())
    except RedisError as error:
        return {"state": "unknown", "reason": f"redis down: {type(error).__name__}"}
    health.update(sent_today=state.sent_today, daily_limit=state.phone.daily_limit, limit_left=state.left_today)
    health["queue"] = sum(_queues().values())
    return health


def _queues() -> dict[str | None, int]:
    """Outbound messages waiting, by the phone they wait on; empty when the database does not answer."""
    try:
        return queued_per_phone()
    except Exception as error:  # any driver error: the database check says it is down
        log.warning("health: queues not read (%s)", type(error).__name__)
        return {}


def check_phones() -> dict[str, dict[str, object]]:
    """Each phone of the pool: in rotation or out (why), last ping and send, SMS today, limit left, its queue."""
    try:
        states = watch_pool(current_app.config, redis(), utcnow())
    except RedisError as error:
        return {"redis": {"state": "unknown", "reason": f"redis down: {type(error).__name__}"}}
    queues = _queues()
    return {s.phone.label: {**s.to_dict(), "queue": queues.get(s.phone.name, 0)} for s in states}


def check_staff() -> dict[str, str | None]:
    """Whether a report alerts someone: an active organiser and an active coordinator, else degraded with why."""
    try:
        problems = staffing_problems()
    except Exception as error:  # no staff table yet (before `db upgrade`): nothing to say of the staff
        return {"state": "unknown", "reason": f"staff not readable: {type(error).__name__}"}
    return {"state": "degraded" if problems else "ok", "reason": "; ".join(problems) or None}


def phone_rows() -> list[dict[str, object]]:
    """Each phone as /healthz reports it, named (the console's health box); none when SMS go through no phone."""
    if current_app.config.get("SMS_BACKEND") != "smsgate":
        return []
    if is_pool(phones_of(current_app.config)):
        return [{"name": name, **fields} for name, fields in check_phones().items()]
    return [{"name": "sms", **check_phone()}]


@bp.get("/healthz")
def healthz():
    """Report each dependency; 503 if one is down, 200 with status `degraded` if only the phone is silent or a role
    a report needs has nobody."""
    checks: dict[str, object] = {"database": check_database(), "redis": check_redis()}
    down = [name for name, state in checks.items() if state != "ok"]
    degraded: list[str] = []
    if checks["database"] == "ok":
        checks["staff"] = staff = check_staff()
        if staff["state"] == "degraded":
            degraded.append("staff")
    if current_app.config.get("SMS_BACKEND") == "smsgate" and is_pool(phones_of(current_app.config)):
        checks["phones"] = phones = check_phones()
        if any(phone["state"] != "ok" for phone in phones.values()):
            degraded.append("phones")
    elif current_app.config.get("SMS_BACKEND") == "smsgate":
        checks["phone"] = phone = check_phone()
        if phone["state"] == "degraded":
            degraded.append("phone")
    status = "down" if down else "degraded" if degraded else "ok"
    body = {"status": status, "down": down, "degraded": degraded, **checks}
    return jsonify(body), (503 if down else 200)


def warn_at_start(app: Flask) -> None:
    """Log what the service cannot do for lack of staff, once per process start (a fresh database without tables,
    or one that does not answer yet, is left to `db upgrade` and /healthz)."""
    try:
        with app.app_context():
            problems = staffing_problems() if Staff.table_exists() else []
    except Exception as error:  # any driver error: the database is not there yet
        log.info("staff not checked at start: the database does not answer (%s)", type(error).__name__)
        return
    for problem in problems:
        log.warning("at start: %s", problem)


def init_app(app: Flask) -> None:
    """Register the health endpoint; when the app starts to serve (not for a command, which has a click context,
    nor in tests), say when a role a report needs has nobody."""
    app.register_blueprint(bp)
    if not app.testing and click.get_current_context(silent=True) is None:
        warn_at_start(app)
