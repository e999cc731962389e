"""Initial schema: people, staff, villages, messages, conversations.

Frozen: the tables are declared here as they stood at this release, never imported from `models.*`.
Python-side defaults (timestamps, counters) never reach the DDL, so only literal ones are kept here.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create the first tables."""

    class Frozen(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Person(Frozen):
        phone = peewee.CharField(max_length=20, unique=True)
        name = peewee.CharField(max_length=30, null=True)
        village = peewee.CharField(max_length=30, null=True)
        status = peewee.CharField(max_length=10, null=True)
        country = peewee.CharField(max_length=20, null=True)
        language = peewee.CharField(max_length=5, null=True)
        consent_at = peewee.DateTimeField(null=True)
        consent_version = peewee.CharField(max_length=20, null=True)
        registered_via = peewee.CharField(max_length=10, null=True)
        registration_key = peewee.CharField(max_length=100, null=True)
        opted_out_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            table_name = "person"

    class Staff(Frozen):
        phone = peewee.CharField(max_length=20, unique=True)
        name = peewee.CharField(max_length=60)
        role = peewee.CharField(max_length=12)
        village = peewee.CharField(max_length=30, null=True)
        active = peewee.BooleanField(default=True)
        created_at = peewee.DateTimeField()

        class Meta:
            table_name = "staff"

    class Village(Frozen):
        name = peewee.CharField(max_length=30, unique=True)
        position = peewee.IntegerField(default=0)

        class Meta:
            table_name = "village"

    class Message(Frozen):
        direction = peewee.CharField(max_length=3)
        phone = peewee.CharField(max_length=20, index=True)
        text = peewee.TextField()
        channel = peewee.CharField(max_length=10, default="sms")
        purpose = peewee.CharField(max_length=20)
        status = peewee.CharField(max_length=10, index=True)
        provider_id = peewee.CharField(max_length=100, null=True)
        segments = peewee.IntegerField(default=1)
        encoding = peewee.CharField(max_length=5, default="gsm7")
        cost = peewee.CharField(max_length=30, null=True)
        attempts = peewee.IntegerField(default=0)
        last_error = peewee.CharField(max_length=200, null=True)
        next_attempt_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            table_name = "message"
            indexes = ((("direction", "provider_id"), True),)

    class Conversation(Frozen):
        phone = peewee.CharField(max_length=20, unique=True)
        flow = peewee.CharField(max_length=40, null=True)
        inputs = peewee.TextField(default="[]")
        started_by = peewee.CharField(max_length=100, null=True)
        screen = peewee.CharField(max_length=60, null=True)
        invalid_answers = peewee.IntegerField(default=0)
        updated_at = peewee.DateTimeField()
        last_help_at = peewee.DateTimeField(null=True)

        class Meta:
            table_name = "conversation"

    db.create_tables([Person, Staff, Village, Message, Conversation])
