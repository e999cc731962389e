"""When the test database's deployment began (`models.migrate.deployed_at`: its first migration's time)."""

from __future__ import annotations

import datetime as dt

from models.migrate import SchemaMigration

LONG_AGO = dt.datetime(2020, 1, 1)
"""The suite's database 'existed' from here (naive UTC): before any period a test travels to."""


def backdate_deployment(to: dt.datetime = LONG_AGO) -> None:
    """Record every applied migration at `to` (naive UTC), as if the deployment had been set up then."""
    SchemaMigration.update(applied_at=to).execute()
