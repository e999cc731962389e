"""Apply numbered migrations in order, each once, recording them in `schema_migration`."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import peewee
from playhouse.migrate import SchemaMigrator

import models.migrations as migrations_package
from models.base import BaseModel, database, utcnow

log = logging.getLogger(__name__)


class SchemaMigration(BaseModel):
    """One applied migration."""

    name = peewee.CharField(max_length=100, primary_key=True)
    applied_at = peewee.DateTimeField(default=utcnow)


def migration_names() -> list[str]:
    """All migration module names, in order."""
    return sorted(m.name for m in pkgutil.iter_modules(migrations_package.__path__) if m.name[:4].isdigit())


def upgrade(target: str | None = None) -> list[str]:
    """Apply every migration not applied yet, up to and including `target` if given; return the names applied now."""
    names = migration_names()
    if target is not None:
        if target not in names:
            raise ValueError(f"no migration named {target!r}")
        names = names[: names.index(target) + 1]
    db = database.obj
    database.create_tables([SchemaMigration], safe=True)
    done = {m.name for m in SchemaMigration.select()}
    applied = []
    for name in names:
        if name in done:
            continue
        module = importlib.import_module(f"{migrations_package.__name__}.{name}")
        with database.atomic():
            module.up(SchemaMigrator.from_database(db), db)
            SchemaMigration.create(name=name)
        log.info("applied migration %s", name)
        applied.append(name)
    return applied
