"""Organisers, coordinators and officials who receive alerts and act by SMS."""
from __future__ import annotations

import peewee

from models.base import BaseModel, prepared, utcnow

ROLES = ("organizer", "coordinator", "official")


class Staff(BaseModel):
    """A staff phone number; staff SMS commands are accepted only from these."""

    phone = peewee.CharField(max_length=20, unique=True)
    name = peewee.CharField(max_length=60)
    role = peewee.CharField(max_length=12)
    village = peewee.CharField(max_length=30, null=True)
    language = peewee.CharField(max_length=5, null=True)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)

    @classmethod
    def for_phone(cls, phone: str) -> "Staff | None":
        """The active staff member with this phone, or None."""
        return cls.get_or_none((cls.phone == phone) & (cls.active == True))  # noqa: E712


class Village(BaseModel):
    """A village offered in the registration menu (the configured list)."""

    name = peewee.CharField(max_length=30, unique=True)
    position = peewee.IntegerField(default=0)

    @classmethod
    def names(cls) -> list[str]:
        """Village names in menu order."""
        sql = prepared("village.names", lambda: cls.select(cls.name).order_by(cls.position, cls.name))
        return [row[0] for row in cls._meta.database.execute_sql(sql)]
