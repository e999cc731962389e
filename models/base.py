"""The database proxy every model is declared against, bound by `create_app()`."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import peewee
from playhouse.db_url import connect

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {"journal_mode": "wal", "busy_timeout": 10000, "foreign_keys": 1, "synchronous": "normal"}


def utcnow() -> dt.datetime:
    """Naive UTC now: every timestamp in the database is UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


POOL_SETTINGS = {"max_connections": 32, "stale_timeout": 300, "timeout": 10}
"""Connections are pooled per process: a USSD step must not pay for a new connection."""


def open_database(url: str) -> peewee.Database:
    """Create (not connect) a pooled peewee Database from a `db_url` string (sqlite:// or postgresql://).

    SQLite transactions begin IMMEDIATE: every `atomic()` here writes, and a deferred transaction that
    reads first fails at once with "database is locked" when another writer got there in between.
    """
    scheme, _, rest = url.partition("://")
    if scheme in ("sqlite", "postgres", "postgresql"):
        url = f"{scheme}+pool://{rest}"
    if scheme.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False, **POOL_SETTINGS)
    if scheme.startswith("postgres"):
        return connect(url, **POOL_SETTINGS)
    return connect(url)


def bind_database(url: str) -> peewee.Database:
    """Point the shared proxy at the database named by `url`."""
    db = open_database(url)
    database.initialize(db)
    return db


def prepared(key: str, build: Callable[[], peewee.Query]) -> str:
    """SQL text of a hot query, built once per bound database (peewee's query building costs ~0.2 ms).

    The cache lives on the database object itself, so SQL built for one database (and its parameter
    style) is never used for another.
    """
    cache = database.obj.__dict__.setdefault("_prepared_sql", {})
    sql = cache.get(key)
    if sql is None:
        sql, _ = build().sql()
        cache[key] = sql
    return sql


class BaseModel(peewee.Model):
    """Base for all models: bound to the shared proxy."""

    class Meta:
        database = database
        legacy_table_names = False
