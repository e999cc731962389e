"""The console: staff passwords (argon2 hashes), the one-time codes sent by SMS to set them, and the audit of who
opened which case or person page and who exported what.

Frozen: the tables are declared here as they stood at this release, never imported from `models.*`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create staff_password, reset_code and audit_event."""

    class Staff(peewee.Model):
        class Meta:
            database = db
            table_name = "staff"

    class StaffPassword(peewee.Model):
        staff = peewee.ForeignKeyField(Staff, unique=True, on_delete="CASCADE")
        hash = peewee.CharField(max_length=200)
        set_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "staff_password"

    class ResetCode(peewee.Model):
        staff = peewee.ForeignKeyField(Staff, on_delete="CASCADE")
        hash = peewee.CharField(max_length=200)
        created_at = peewee.DateTimeField()
        expires_at = peewee.DateTimeField()
        tries = peewee.IntegerField(default=0)
        used_at = peewee.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "reset_code"

    class AuditEvent(peewee.Model):
        actor = peewee.CharField(max_length=20)
        kind = peewee.CharField(max_length=16)
        target = peewee.CharField(max_length=40)
        created_at = peewee.DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "audit_event"
            indexes = ((("kind", "target", "created_at"), False),)

    db.create_tables([StaffPassword, ResetCode, AuditEvent])
