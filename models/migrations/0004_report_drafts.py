"""Report drafts: a USSD report's answers kept while its session runs.

Frozen: the table is declared here as it stood at this release, never imported from `models.*`.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create the report_draft table."""

    class ReportDraft(peewee.Model):
        session_key = peewee.CharField(max_length=120, unique=True)
        phone = peewee.CharField(max_length=20)
        answers = peewee.TextField()
        updated_at = peewee.DateTimeField(index=True)

        class Meta:
            database = db
            table_name = "report_draft"

    db.create_tables([ReportDraft])
