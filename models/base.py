"""The database proxy every model is declared against, bound by `create_app()`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, overload

import peewee
from playhouse.db_url import connect

log = logging.getLogger(__name__)
database = peewee.DatabaseProxy()

UNREACHABLE_ERRORS = (peewee.OperationalError, peewee.InterfaceError)
"""Errors that mean the database cannot be reached or is busy (answer 503 so the provider retries),
as opposed to a bug (IntegrityError, ProgrammingError…), which a retry would only repeat."""

SQLITE_PRAGMAS = {"journal_mode": "wal", "busy_timeout": 10000, "foreign_keys": 1, "synchronous": "normal"}


def utcnow() -> dt.datetime:
    """Naive UTC now: every timestamp in the database is UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@overload
def iso_utc(value: dt.datetime) -> str: ...
@overload
def iso_utc(value: dt.datetime | None) -> str | None: ...
def iso_utc(value: dt.datetime | None) -> str | None:
    """A stored (naive UTC) timestamp as ISO 8601 with a Z, as exports and the simulator write it."""
    return value.isoformat(timespec="seconds") + "Z" if value else None


POOL_SETTINGS = {"max_connections": 32, "stale_timeout": 300, "timeout": 10}
"""Connections are pooled per process: a USSD step must not pay for a new connection."""


SQLITE_FILE_MODE = 0o600
"""The SQLite files hold people's profiles and cases: readable by the service's user only. SQLite gives the
-wal and -shm files the database file's mode, so creating that one 0600 covers all three."""

SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
"""The database file and the files SQLite keeps beside it."""


def _sqlite_path(rest: str) -> str | None:
    """The file of a `sqlite:///path` URL's remainder (peewee drops one leading slash), None for in-memory."""
    path = rest[1:] if rest.startswith("/") else rest
    path = path.split("?", 1)[0]
    return None if not path or path == ":memory:" or path.startswith("file:") else path


def make_private_file(path: str, mode: int = SQLITE_FILE_MODE) -> None:
    """Create `path` with `mode` if it is missing, and take group and others' access away if it has any.

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock this process holds
    on it, SQLite's included (a second app in the same process would break the first one's transactions)."""
    try:
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    except FileExistsError:
        pass  # created meanwhile by another process: fine
    except OSError as error:  # a missing folder: connecting will fail and name the database as before
        log.warning("could not create %s: %s", path, error)
        return
    for name in (path + suffix for suffix in SQLITE_COMPANIONS):
        try:
            current = stat.S_IMODE(os.stat(name).st_mode)
            if current & 0o077:
                os.chmod(name, current & 0o700)
                log.info("made %s readable by its owner only (was %o)", name, current)
        except FileNotFoundError:
            continue
        except OSError as error:  # not ours to change: say so rather than refuse to start
            log.warning("could not restrict %s to its owner: %s", name, error)


def open_database(url: str) -> peewee.Database:
    """Create (not connect) a pooled peewee Database from a `db_url` string (sqlite:// or postgresql://).

    SQLite transactions begin IMMEDIATE: every `atomic()` here writes, and a deferred transaction that
    reads first fails at once with "database is locked" when another writer got there in between.
    """
    scheme, _, rest = url.partition("://")
    if scheme in ("sqlite", "postgres", "postgresql"):
        url = f"{scheme}+pool://{rest}"
    if scheme.startswith("sqlite"):
        path = _sqlite_path(rest)
        if path:
            make_private_file(path)
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False, **POOL_SETTINGS)
    if scheme.startswith("postgres"):
        return connect(url, **POOL_SETTINGS)
    return connect(url)


def bind_database(url: str) -> peewee.Database:
    """Point the shared proxy at the database named by `url`."""
    db = open_database(url)
    database.initialize(db)
    return db


_HOT_STATEMENTS: set[str] = set()


def hot_statements(*keys: str) -> None:
    """Declare statements of a model's own that are written by hand (below): only those on the USSD hot path,
    measured by `make bench`. Each model module declares its own, next to the statements.

    Everything else goes through peewee's query builder; declaring a key needs a benchmark figure that
    shows peewee's building cost matters for it.
    """
    _HOT_STATEMENTS.update(keys)


class NotHotStatement(ValueError):
    """Hand-written SQL asked for a statement that is not on the measured hot path."""


def prepared(key: str, build: Callable[[], peewee.Query]) -> str:
    """SQL text of a hot query, built once per bound database (peewee's query building costs ~0.2 ms)."""
    return cached_sql(key, lambda: build().sql()[0])


def cached_sql(key: str, write: Callable[[], str]) -> str:
    """SQL text written once per bound database and kept under `key`.

    The cache lives on the database object itself, so SQL written for one database (and its parameter
    style) is never used for another.
    """
    if key not in _HOT_STATEMENTS:
        raise NotHotStatement(f"{key} is not a hot statement: build it with peewee (see hot_statements)")
    cache = database.obj.__dict__.setdefault("_prepared_sql", {})
    sql = cache.get(key)
    if sql is None:
        sql = cache[key] = write()
    return sql


M = TypeVar("M", bound=peewee.Model)


def fetch_instance(model: type[M], sql: str, params: Sequence[Any]) -> M | None:
    """The one instance a prepared `model.select()` finds, or None.

    Builds the instance the way peewee's row wrapper does, without its per-query set-up (~20 µs,
    paid on every USSD step). The statement is read to the end so SQLite closes its read snapshot.
    """
    rows = database.execute_sql(sql, params).fetchall()
    if not rows:
        return None
    if len(rows) > 1:
        raise ValueError(f"fetch_instance expects one row of {model.__name__}")
    return _instance(model, rows[0])


def fetch_instances(model: type[M], sql: str, params: Sequence[Any]) -> list[M]:
    """Every instance a prepared `model.select()` finds, built as `fetch_instance` builds one."""
    return [_instance(model, row) for row in database.execute_sql(sql, params).fetchall()]


def _instance(model: type[M], row: Sequence[Any]) -> M:
    """A model instance from one row of every column, as peewee's row wrapper would build it."""
    fields = model._meta.sorted_fields
    if len(row) != len(fields):
        raise ValueError(f"expected one value for every {model.__name__} column, got {len(row)}")
    values = {field.name: None if value is None else field.python_value(value) for field, value in zip(fields, row)}
    instance = model(__no_default__=True, **values)
    instance._dirty.clear()  # type: ignore[attr-defined]  # peewee's stubs leave out Model._dirty
    return instance


class PreparedInsert:
    """An INSERT (or upsert) that peewee writes once per bound database; each call only binds values.

    Peewee's Insert building costs 0.1-0.2 ms, a large part of a USSD step. `fields` must name every
    column the statement writes (defaults included), in the order `execute` binds them.
    """

    def __init__(
        self,
        key: str,
        model: type[peewee.Model],
        fields: Sequence[str],
        on_conflict: dict[str, Any] | None = None,
        returns_id: bool = False,
    ) -> None:
        self.key, self.model, self.on_conflict, self.returns_id = key, model, on_conflict, returns_id
        self.fields = [model._meta.fields[name] for name in fields]
        self._names = frozenset(fields)
        defaulted = [
            f.name
            for f in model._meta.sorted_fields
            if f.default is not None and f.name not in self._names and not f.primary_key
        ]
        if defaulted:
            raise ValueError(
                f"prepared insert {key} would let peewee bind {defaulted} itself: add those columns to fields"
            )
        if f"insert.{key}" not in _HOT_STATEMENTS:
            raise NotHotStatement(f"insert.{key} is not a hot statement: build it with peewee (see hot_statements)")

    def _write_sql(self) -> str:
        db = database.obj
        insert = self.model.insert_many([[peewee.SQL(db.param) for _ in self.fields]], fields=self.fields)
        if self.on_conflict is not None:
            insert = insert.on_conflict(**self.on_conflict)
        if self.returns_id and db.returning_clause:
            insert = insert.returning(self.model._meta.primary_key)
        sql, params = insert.sql()
        if params:
            raise ValueError(f"prepared insert {self.key} would bind {params!r} itself: add those columns to fields")
        return sql

    def execute(self, **values: Any) -> Any:
        """Run with one value per field (converted as peewee would); return the DB-API cursor."""
        if values.keys() != self._names:
            raise TypeError(f"prepared insert {self.key} needs exactly {sorted(self._names)}")
        params = [field.db_value(values[field.name]) for field in self.fields]
        return database.execute_sql(cached_sql(f"insert.{self.key}", self._write_sql), params)

    def inserted_id(self, **values: Any) -> int:
        """Run and return the new row's primary key."""
        cursor = self.execute(**values)
        if self.returns_id and database.obj.returning_clause:
            return cursor.fetchone()[0]
        return cursor.lastrowid

    def changed_rows(self, **values: Any) -> int:
        """Run and return how many rows were inserted or updated (0 when an upsert's WHERE declined)."""
        return self.execute(**values).rowcount


class BaseModel(peewee.Model):
    """Base for all models: bound to the shared proxy."""

    id: peewee.AutoField[int]
    """Declared for the type checker only: peewee adds this `id` primary key itself to every model that names
    no primary key of its own (all but SchemaMigration)."""

    class Meta:
        database = database
        legacy_table_names = False

    def update_fields(self, **fields: object) -> None:
        """Save only the given fields, and the update time when the model keeps one."""
        for key, value in fields.items():
            setattr(self, key, value)
        names = list(fields)
        if "updated_at" in self._meta.fields:
            self.updated_at = utcnow()
            names.append("updated_at")
        self.save(only=[self._meta.fields[name] for name in names])
