"""The sample feature's one table: a reminder with its due time (the row the sweep fires if its job is lost)."""

from __future__ import annotations

import datetime as dt

import peewee

from models.base import BaseModel, utcnow


class Reminder(BaseModel):
    """Text `what` back to `phone` at `due_at` (naive UTC); `sent_at` once done."""

    phone = peewee.CharField(max_length=20, index=True)
    what = peewee.CharField(max_length=100)
    due_at = peewee.DateTimeField(index=True)
    sent_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "sample_reminder"

    @classmethod
    def due(cls, now: dt.datetime) -> list[Reminder]:
        """Reminders whose time has come and that are not sent yet."""
        return list(cls.select().where(cls.sent_at.is_null() & (cls.due_at <= now)).order_by(cls.id))

    @classmethod
    def waiting(cls) -> int:
        """How many reminders are not sent yet."""
        return cls.select().where(cls.sent_at.is_null()).count()

    def claim(self) -> bool:
        """Mark it sent, once: True for the one caller that did."""
        return bool(
            Reminder.update(sent_at=utcnow()).where((Reminder.id == self.id) & Reminder.sent_at.is_null()).execute()
        )
