"""Bind the models to DATABASE_URL and close the connection after every request."""

from __future__ import annotations

from flask import Flask

from models import bind_database, database


def init_app(app: Flask) -> None:
    """Bind the database proxy from the app's DATABASE_URL; connect lazily, close at teardown."""
    bind_database(app.config["DATABASE_URL"])

    @app.teardown_appcontext
    def close_database(exc: BaseException | None) -> None:
        if not database.is_closed():
            database.close()
