"""A case that can talk back: when its safe number first wrote, and when staff were last told of a reporter's message.

Frozen: the columns are declared here as they stood at this release, never imported from `models.*`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Add case.safe_phone_seen_at and case.message_alert_at (both empty for existing cases)."""
    migrate(
        migrator.add_column("case", "safe_phone_seen_at", peewee.DateTimeField(null=True)),
        migrator.add_column("case", "message_alert_at", peewee.DateTimeField(null=True)),
    )
