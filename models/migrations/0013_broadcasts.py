"""Announcements: the broadcast (texts per language, segment, state, counts) and its recipients, one row per phone.

Frozen: the tables are declared here as they stood at this release, never imported from `models.*`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create broadcast and broadcast_recipient."""

    class Broadcast(peewee.Model):
        texts_json = peewee.TextField()
        village = peewee.CharField(max_length=30, null=True)
        status = peewee.CharField(max_length=10, null=True)
        language = peewee.CharField(max_length=5, null=True)
        trained = peewee.CharField(max_length=10, null=True)
        state = peewee.CharField(max_length=10, default="draft", index=True)
        created_by = peewee.CharField(max_length=20)
        total = peewee.IntegerField(default=0)
        left_out_json = peewee.TextField(default="{}")
        step = peewee.IntegerField(default=0)
        resume_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()
        started_at = peewee.DateTimeField(null=True)
        finished_at = peewee.DateTimeField(null=True)
        updated_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "broadcast"

    class BroadcastRecipient(peewee.Model):
        broadcast = peewee.ForeignKeyField(Broadcast, on_delete="CASCADE")
        phone = peewee.CharField(max_length=20)
        language = peewee.CharField(max_length=5)
        message_id = peewee.IntegerField(null=True)
        written_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "broadcast_recipient"
            indexes = (
                (("broadcast", "phone"), True),
                (("broadcast", "written_at"), False),
                (("message_id",), False),
            )

    db.create_tables([Broadcast, BroadcastRecipient])
