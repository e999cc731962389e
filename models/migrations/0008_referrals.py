"""Referral to a named agency: an official's agency, and the case's referral (which agency, when the official who
has not taken it is reminded, when they took it, when they were reminded).

Frozen: the columns are declared here as they stood at this release, never imported from `models.*`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Add staff.agency (officials without a village become disnaker's, the regency labour office, as before) and
    case.referred_agency, referral_due_at (indexed: the sweep reads it), referral_accepted_at, referral_reminded_at."""
    migrate(
        migrator.add_column("staff", "agency", peewee.CharField(max_length=10, null=True)),
        migrator.add_column("case", "referred_agency", peewee.CharField(max_length=10, null=True)),
        migrator.add_column("case", "referral_due_at", peewee.DateTimeField(null=True, index=True)),
        migrator.add_column("case", "referral_accepted_at", peewee.DateTimeField(null=True)),
        migrator.add_column("case", "referral_reminded_at", peewee.DateTimeField(null=True)),
    )
    db.execute_sql("UPDATE staff SET agency = 'disnaker' WHERE role = 'official' AND village IS NULL")
    # cases referred before this release went to the labour office, or to a village head
    db.execute_sql(
        "UPDATE \"case\" SET referred_agency = 'disnaker' WHERE referred_to IN "
        "(SELECT phone FROM staff WHERE role = 'official' AND village IS NULL)"
    )
