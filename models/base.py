"""The database proxy every model is declared against, bound by `create_app()`."""
from __future__ import annotations

import datetime as dt

import peewee
from playhouse.db_url import connect

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {"journal_mode": "wal", "busy_timeout": 10000, "foreign_keys": 1, "synchronous": "normal"}


def utcnow() -> dt.datetime:
    """Naive UTC now: every timestamp in the database is UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def open_database(url: str) -> peewee.Database:
    """Create (not connect) a peewee Database from a `db_url` string."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS)
    return connect(url)


def bind_database(url: str) -> peewee.Database:
    """Point the shared proxy at the database named by `url`."""
    db = open_database(url)
    database.initialize(db)
    return db


class BaseModel(peewee.Model):
    """Base for all models: bound to the shared proxy."""

    class Meta:
        database = database
        legacy_table_names = False
