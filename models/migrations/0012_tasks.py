"""Generic staff tasks: `task` replaces `mentoring_task` (mentoring now, returnee visits next), each task about one
person's number and village, taken by a holder and closed with an outcome (encrypted, like case notes).

The existing mentoring tasks are copied (their number and village from the enrollment and the person, source
'enrollment:<id>'), then `mentoring_task` is dropped. Frozen: the table is declared here as it stands at this
release, never imported from `models.*`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create task (unique kind+source; indexed phone, village, status, holder), copy mentoring_task into it, drop
    mentoring_task."""

    class Task(peewee.Model):
        kind = peewee.CharField(max_length=10)
        phone = peewee.CharField(max_length=20, index=True)
        village = peewee.CharField(max_length=30, null=True, index=True)
        reason = peewee.CharField(max_length=16)
        source = peewee.CharField(max_length=40)
        status = peewee.CharField(max_length=10, index=True)
        holder = peewee.CharField(max_length=20, null=True, index=True)
        taken_at = peewee.DateTimeField(null=True)
        done_at = peewee.DateTimeField(null=True)
        outcome = peewee.TextField(null=True)
        created_at = peewee.DateTimeField()
        reminded_at = peewee.DateTimeField(null=True)
        escalated_at = peewee.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "task"
            indexes = ((("kind", "source"), True),)

    db.create_tables([Task], safe=True)
    if "mentoring_task" not in db.get_tables():
        return
    rows = db.execute_sql(
        "SELECT e.id, e.phone, p.village, m.reason, m.created_at FROM mentoring_task m "
        "JOIN enrollment e ON e.id = m.enrollment_id LEFT JOIN person p ON p.phone = e.phone ORDER BY m.id"
    ).fetchall()
    p = db.param
    for enrollment_id, phone, village, reason, created_at in rows:  # nothing could take one before: all open
        db.execute_sql(
            "INSERT INTO task (kind, phone, village, reason, source, status, created_at) "
            f"VALUES ('mentoring', {p}, {p}, {p}, {p}, 'open', {p})",
            (phone, village, reason, f"enrollment:{enrollment_id}", created_at),
        )
    db.execute_sql("DROP TABLE mentoring_task")
