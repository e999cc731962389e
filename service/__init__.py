"""KawalMigran web service: the Flask app factory (`service:create_app()` is the WSGI entry point)."""
from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask

from service.config import load_config


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the app: config, logging, database, Redis, blueprints and CLI."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    from menus.features import default_registry
    from models import settings
    from service import cli, db, health, logs, simulator, webhooks
    from workers.queues import connect_redis

    logs.init_app(app)
    settings.configure(app.config["TIMEZONE"], app.config["DEFAULT_LANGUAGE"], app.config["CASE_ACK_MINUTES"],
                       app.config["CASE_ACK_MINUTES_URGENT"], app.config["SMS_REPLIES_PER_DAY"],
                       app.config["SMS_DAILY_LIMIT"], app.config["SMS_ALLOWED_COUNTRY_CODES"])
    app.extensions["menus"] = app.config.get("FEATURES_REGISTRY") or default_registry()
    db.init_app(app)
    app.extensions["redis"] = connect_redis(app.config["REDIS_URL"])
    webhooks.init_app(app)
    health.init_app(app)
    simulator.init_app(app)
    cli.init_app(app)
    return app
