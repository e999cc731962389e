"""The console's lists at a district's size: people found by any part of their name, and an official's referred cases.

On PostgreSQL, a trigram index (`pg_trgm`, a trusted extension a database's owner may create) lets the people search's
`name ILIKE '%…%'` use an index instead of reading 200,000 rows; SQLite has no such index and reads the table (fast
enough there: see the README's console figures). Both get indexes on the case's referral columns, which an official's
lists filter on, and on the holder (the today page's "my cases"). Frozen: it names its own tables and columns.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Index case.referred_to, case.referred_agency, case (assignee, status) (my cases); on PostgreSQL, person.name
    by trigrams."""
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_referred_to ON "case" (referred_to)')
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_referred_agency ON "case" (referred_agency)')
    db.execute_sql('CREATE INDEX IF NOT EXISTS case_assignee_status ON "case" (assignee, status)')
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql("CREATE INDEX IF NOT EXISTS person_name_trigram ON person USING gin (name gin_trgm_ops)")
