"""GET /healthz: one entry per dependency; 503 naming what is down."""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify
from redis.exceptions import RedisError

from models import database
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


@bp.get("/healthz")
def healthz():
    """Report each dependency."""
    checks = {"database": check_database(), "redis": check_redis()}
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not down else "down", "down": down, **checks}
    return jsonify(body), (503 if down else 200)


def init_app(app: Flask) -> None:
    """Register the health endpoint."""
    app.register_blueprint(bp)
