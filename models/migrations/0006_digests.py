"""Digest deliveries (one row per recipient and period), and the indexes the digest's figures read by.

Frozen: the table is declared here as it stood at this release, never imported from `models.*`.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create digest_delivery; index what the figures filter on (times of registration, reports, resolution,
    follow-up answers)."""

    class DigestDelivery(peewee.Model):
        phone = peewee.CharField(max_length=20)
        kind = peewee.CharField(max_length=5)
        period_start = peewee.DateField()
        scope = peewee.CharField(max_length=30)
        message_id = peewee.IntegerField(null=True)
        created_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "digest_delivery"
            indexes = ((("phone", "kind", "period_start"), True),)

    db.create_tables([DigestDelivery])
    migrate(
        migrator.add_index("person", ("consent_at",)),
        migrator.add_index("case", ("created_at",)),
        migrator.add_index("case", ("resolved_at",)),
        migrator.add_index("enrollment", ("answered_30_at",)),
        migrator.add_index("enrollment", ("answered_90_at",)),
        # the open cases' state (open, overdue, referred, waiting per organiser) read from the index alone
        migrator.add_index("case", ("status", "village", "ack_due_at", "assignee")),
    )
