"""Inbound provider webhooks: one blueprint per provider."""

from flask import Flask

from service.webhooks import at, smsgate


def init_app(app: Flask) -> None:
    """Register every provider's blueprint."""
    app.register_blueprint(at.bp)
    app.register_blueprint(smsgate.bp)
