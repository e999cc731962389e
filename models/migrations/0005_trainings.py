"""Trainings, their scheduled steps (reminder, follow-ups), enrollments and mentoring tasks.

Frozen: the tables are declared here as they stood at this release, never imported from `models.*`.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate


def up(migrator: SchemaMigrator, db: peewee.Database) -> None:
    """Create the training, training_step, enrollment and mentoring_task tables; give conversations an end."""

    class Frozen(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Training(Frozen):
        code = peewee.CharField(max_length=10, unique=True)
        title = peewee.CharField(max_length=40)
        kind = peewee.CharField(max_length=10)
        starts_at = peewee.DateTimeField(index=True)
        place = peewee.CharField(max_length=30)
        capacity = peewee.IntegerField()
        status = peewee.CharField(max_length=10)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            table_name = "training"

    class TrainingStep(Frozen):
        training = peewee.ForeignKeyField(Training, on_delete="CASCADE")
        kind = peewee.CharField(max_length=12)
        due_at = peewee.DateTimeField(index=True)
        done_at = peewee.DateTimeField(null=True)

        class Meta:
            table_name = "training_step"
            indexes = ((("training", "kind"), True),)

    class Enrollment(Frozen):
        training = peewee.ForeignKeyField(Training, on_delete="CASCADE")
        phone = peewee.CharField(max_length=20, index=True)
        status = peewee.CharField(max_length=12)
        queued_at = peewee.DateTimeField()
        asked_stage = peewee.IntegerField(null=True)
        asked_at = peewee.DateTimeField(null=True)
        answer_30 = peewee.CharField(max_length=10, null=True)
        answered_30_at = peewee.DateTimeField(null=True)
        answer_90 = peewee.CharField(max_length=10, null=True)
        answered_90_at = peewee.DateTimeField(null=True)
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()

        class Meta:
            table_name = "enrollment"
            indexes = ((("training", "phone"), True),)

    class MentoringTask(Frozen):
        enrollment = peewee.ForeignKeyField(Enrollment, unique=True, on_delete="CASCADE")
        reason = peewee.CharField(max_length=16)
        status = peewee.CharField(max_length=10)
        created_at = peewee.DateTimeField()

        class Meta:
            table_name = "mentoring_task"

    db.create_tables([Training, TrainingStep, Enrollment, MentoringTask])
    migrate(migrator.add_column("conversation", "expires_at", peewee.DateTimeField(null=True)))
