"""Apply numbered migrations in order, each once, recording them in `schema_migration`."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil

import peewee
from playhouse.migrate import SchemaMigrator

import models.migrations as migrations_package
from models.base import BaseModel, database, utcnow
from models.crypto import data_keys

log = logging.getLogger(__name__)


class SchemaMigration(BaseModel):
    """One applied migration."""

    name = peewee.CharField(max_length=100, primary_key=True)
    applied_at = peewee.DateTimeField(default=utcnow)


def _data_cipher() -> object:
    """The process's bound data keys (MultiFernet), handed to migrations as `migrator.data_cipher()` so that a frozen
    migration that encrypts what is stored imports no live module."""
    return data_keys().fernet


def migration_names() -> list[str]:
    """All migration module names, in order."""
    return sorted(m.name for m in pkgutil.iter_modules(migrations_package.__path__) if m.name[:4].isdigit())


class CodeOlderThanDatabase(RuntimeError):
    """The database has migrations this code does not know: it was upgraded by a newer release."""

    def __init__(self, unknown: list[str]) -> None:
        self.unknown = unknown
        super().__init__(
            f"the database has migration {', '.join(unknown)}, which this code does not know: the code is older than "
            "the database (a newer release upgraded it). Deploy that release (or newer) instead of this one; "
            "nothing was changed"
        )


def unknown_migrations() -> list[str]:
    """Migrations the database records that this code does not have (a newer release applied them), in order."""
    if not SchemaMigration.table_exists():
        return []
    known = set(migration_names())
    return sorted(m.name for m in SchemaMigration.select() if m.name not in known)


def pending_migrations() -> list[str]:
    """Migrations this code has that the database has not applied yet, in order."""
    done = {m.name for m in SchemaMigration.select()} if SchemaMigration.table_exists() else set()
    return [name for name in migration_names() if name not in done]


def deployed_at() -> dt.datetime | None:
    """When this deployment's database was created (naive UTC): the time its first migration was applied; None
    for a database that `db upgrade` did not create. Nothing the service sends covers a time before it."""
    if not SchemaMigration.table_exists():
        return None
    first = SchemaMigration.select().order_by(SchemaMigration.applied_at).first()
    return first.applied_at if first is not None else None


def upgrade(target: str | None = None) -> list[str]:
    """Apply every migration not applied yet, up to and including `target` if given; return the names applied now.
    Refuses (CodeOlderThanDatabase, nothing applied) when the database has a migration this code does not know."""
    names = migration_names()
    if target is not None:
        if target not in names:
            raise ValueError(f"no migration named {target!r}")
        names = names[: names.index(target) + 1]
    db = database.obj
    database.create_tables([SchemaMigration], safe=True)
    done = {m.name for m in SchemaMigration.select()}
    unknown = sorted(done - set(migration_names()))
    if unknown:
        raise CodeOlderThanDatabase(unknown)
    applied = []
    for name in names:
        if name in done:
            continue
        module = importlib.import_module(f"{migrations_package.__name__}.{name}")
        migrator = SchemaMigrator.from_database(db)
        migrator.data_cipher = _data_cipher  # what a frozen migration may encrypt with
        with database.atomic():
            module.up(migrator, db)
            SchemaMigration.create(name=name)
        log.info("applied migration %s", name)
        applied.append(name)
    return applied
