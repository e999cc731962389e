"""A pool of phones (issue 20): which phone an SMS came in on, or goes or went out through.

Frozen: the column is declared here as it stood at this release, never imported from `models.*`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Add message.pool_phone (the SMSGATE_PHONES name; empty for every SMS before the pool)."""
    migrate(migrator.add_column("message", "pool_phone", peewee.CharField(max_length=20, null=True)))
