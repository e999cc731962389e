"""Walk-ins: people added to a training's attendance on the day without having signed up, and their answer to the
consent SMS (the name the organiser typed is held here only until they answer).

Frozen: the table is declared here as it stood at this release, never imported from `models.*`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create walk_in (one per enrollment)."""

    class Enrollment(peewee.Model):
        class Meta:
            database = db
            table_name = "enrollment"

    class WalkIn(peewee.Model):
        enrollment = peewee.ForeignKeyField(Enrollment, unique=True, on_delete="CASCADE")
        name = peewee.CharField(max_length=30, null=True)
        added_by = peewee.CharField(max_length=20)
        answer = peewee.CharField(max_length=8, null=True)
        answered_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "walk_in"

    db.create_tables([WalkIn])
