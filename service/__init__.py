"""KawalMigran web service: the Flask app factory (`service:create_app()` is the WSGI entry point)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from menus import catalog
from menus.features import default_registry
from models import settings
from models.sending_policy import use_purposes
from service import cli, console, db, health, keys, logs, simulator, webhooks
from service.config import load_config
from workers.binding import bind_workers
from workers.queues import connect_redis

INSTANCE_FOLDER_MODE = 0o700
"""`instance/` holds the generated secrets and the SQLite database: the service's user only."""


def make_private_folder(path: str) -> None:
    """Create the instance folder 0700, or take group and others' access away from an existing one."""
    os.makedirs(path, mode=INSTANCE_FOLDER_MODE, exist_ok=True)
    current = stat.S_IMODE(os.stat(path).st_mode)
    if current & 0o077:
        try:
            os.chmod(path, current & 0o700)
        except OSError as error:  # not ours to change: say so rather than refuse to start
            logging.getLogger(__name__).warning("could not restrict %s to its owner: %s", path, error)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies (Caddy: 1), take the client's address and scheme from the X-Forwarded-For and
    X-Forwarded-Proto entries they added, so the console's per-address limits count each client; with 0 (a direct
    deployment) those headers are ignored, so no client can pick its own address."""
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the app: config, logging, database, Redis, blueprints and CLI."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None, instance_relative_config=True)
    make_private_folder(app.instance_path)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    trust_proxies(app)

    logs.init_app(app)
    settings.configure(
        app.config["TIMEZONE"],
        app.config["DEFAULT_LANGUAGE"],
        app.config["CASE_ACK_MINUTES"],
        app.config["CASE_ACK_MINUTES_URGENT"],
        app.config["SMS_REPLIES_PER_DAY"],
        app.config["SMS_DAILY_LIMIT"],
        app.config["SMS_ALLOWED_COUNTRY_CODES"],
        sms_prefix=app.config.get("SMS_PREFIX", ""),
        referral_ack_days=app.config["REFERRAL_ACK_DAYS"],
        reports_per_day=app.config["REPORTS_PER_DAY"],
        retention_days=app.config["RETENTION_DAYS"],
    )
    registry = app.extensions["menus"] = app.config.get("FEATURES_REGISTRY") or default_registry(
        app.config.get("FEATURE_MODULES") or ()
    )
    use_purposes(registry.purposes.values())
    catalog.CATALOGS.use_feature_folders(tuple(registry.catalog_folders))
    db.init_app(app)
    keys.init_app(app)
    app.extensions["redis"] = connect_redis(app.config["REDIS_URL"])
    bind_workers(app.config, app.extensions["redis"], registry)
    webhooks.init_app(app)
    health.init_app(app)
    simulator.init_app(app)
    console.init_app(app)
    cli.init_app(app)
    return app
