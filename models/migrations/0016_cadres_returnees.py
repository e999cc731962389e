"""Cadres and returnees (issue 21): cadre applications (approval, mentor, promotion), returns home and their
scheduled steps (the visit's announcement, reminder and escalation; check-ins at 1, 3, 6 and 12 months).

Frozen: the tables are declared here as they stood at this release, never imported from `models.*`. The visit task
itself is a row of the `task` table (migration 0012), named by id.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create the cadre_application, returnee and returnee_step tables."""

    class Frozen(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class CadreApplication(Frozen):
        phone = peewee.CharField(max_length=20, index=True)
        name = peewee.CharField(max_length=30)
        village = peewee.CharField(max_length=30)
        helps = peewee.CharField(max_length=10)
        why = peewee.TextField(null=True)  # an encrypted token
        source_key = peewee.CharField(max_length=100, unique=True)
        status = peewee.CharField(max_length=10, index=True)
        decided_by = peewee.CharField(max_length=20, null=True)
        decided_at = peewee.DateTimeField(null=True, index=True)
        mentor_phone = peewee.CharField(max_length=20, null=True)
        promoted_by = peewee.CharField(max_length=20, null=True)
        promoted_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            table_name = "cadre_application"

    class Returnee(Frozen):
        phone = peewee.CharField(max_length=20, index=True)
        name = peewee.CharField(max_length=30, null=True)
        village = peewee.CharField(max_length=30, null=True)
        country = peewee.CharField(max_length=20, null=True)
        returned_at = peewee.DateTimeField(index=True)
        visit_task = peewee.IntegerField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            table_name = "returnee"

    class ReturneeStep(Frozen):
        returnee = peewee.ForeignKeyField(Returnee, on_delete="CASCADE")
        kind = peewee.CharField(max_length=10)
        due_at = peewee.DateTimeField(index=True)
        done_at = peewee.DateTimeField(null=True)
        answer = peewee.CharField(max_length=10, null=True)
        answered_at = peewee.DateTimeField(null=True)

        class Meta:
            table_name = "returnee_step"
            indexes = ((("returnee", "kind"), True),)

    db.create_tables([CadreApplication, Returnee, ReturneeStep])
