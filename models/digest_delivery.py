"""One row per digest recipient and period: the row decides, so a digest goes once whoever runs it, how often."""

from __future__ import annotations

import datetime as dt

import peewee

from models.base import BaseModel, utcnow


class DigestDelivery(BaseModel):
    """The digest of one period for one staff number, and the SMS row that carries it."""

    phone = peewee.CharField(max_length=20)
    kind = peewee.CharField(max_length=5)
    period_start = peewee.DateField()
    scope = peewee.CharField(max_length=30)
    message_id = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("phone", "kind", "period_start"), True),)

    @classmethod
    def claim(cls, phone: str, kind: str, period_start: dt.date, scope: str) -> DigestDelivery | None:
        """Take this recipient's digest of this period; None if it was taken (sent, or being sent) already.
        Call inside the transaction that writes the SMS, so a worker dying midway leaves neither."""
        query = cls.insert(
            phone=phone, kind=kind, period_start=period_start, scope=scope, created_at=utcnow()
        ).on_conflict_ignore()
        if cls._meta.database.execute(query).rowcount != 1:
            return None
        return cls.get((cls.phone == phone) & (cls.kind == kind) & (cls.period_start == period_start))

    @classmethod
    def delivered(cls, kind: str, period_start: dt.date) -> set[str]:
        """Phones whose digest of this period is taken."""
        return {
            row.phone for row in cls.select(cls.phone).where((cls.kind == kind) & (cls.period_start == period_start))
        }
