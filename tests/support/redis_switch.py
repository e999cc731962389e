"""Point the running app at another Redis (a dead one, to test an outage), and back."""

from __future__ import annotations

from typing import Any

from flask import Flask

from models.connections import bind_redis


def use_redis(app: Flask, connection: Any) -> None:
    """Bind `connection` as the process's Redis, as `create_app` binds it (the web app and the workers alike)."""
    app.extensions["redis"] = connection
    bind_redis(connection)
