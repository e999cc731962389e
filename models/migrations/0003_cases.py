"""Cases and their timeline events.

Frozen: the tables are declared here as they stood at this release, never imported from `models.*`.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create the case and case_event tables."""

    class Frozen(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Case(Frozen):
        code = peewee.CharField(max_length=12, unique=True)
        reporter_phone = peewee.CharField(max_length=20, index=True)
        for_whom = peewee.CharField(max_length=10)
        category = peewee.CharField(max_length=20)
        severity = peewee.CharField(max_length=10)
        country = peewee.CharField(max_length=20, null=True)
        village = peewee.CharField(max_length=30, null=True)
        safe_to_contact = peewee.BooleanField(default=False)
        safe_phone = peewee.CharField(max_length=20, null=True)
        story = peewee.TextField(null=True)
        consent_to_refer = peewee.BooleanField(default=False)
        status = peewee.CharField(max_length=12, index=True)
        assignee = peewee.CharField(max_length=20, null=True)
        referred_to = peewee.CharField(max_length=20, null=True)
        channel = peewee.CharField(max_length=10)
        incomplete = peewee.BooleanField(default=False)
        source_key = peewee.CharField(max_length=120, unique=True)
        ack_due_at = peewee.DateTimeField()
        escalation_level = peewee.IntegerField(default=0)
        next_escalation_at = peewee.DateTimeField(null=True, index=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()
        acknowledged_at = peewee.DateTimeField(null=True)
        referred_at = peewee.DateTimeField(null=True)
        resolved_at = peewee.DateTimeField(null=True)

        class Meta:
            table_name = "case"

    class CaseEvent(Frozen):
        case = peewee.ForeignKeyField(Case, backref="events", on_delete="CASCADE")
        kind = peewee.CharField(max_length=20)
        actor = peewee.CharField(max_length=20)
        channel = peewee.CharField(max_length=10)
        note = peewee.TextField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            table_name = "case_event"

    db.create_tables([Case, CaseEvent])
