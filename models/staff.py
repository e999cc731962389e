"""Organisers, coordinators and officials who receive alerts and act by SMS."""

from __future__ import annotations

import peewee

from models.base import BaseModel, fetch_instance, fetch_instances, hot_statements, prepared, utcnow

ROLES = ("organizer", "coordinator", "official")


hot_statements(
    "staff.for_phone",
    "village.names",
    "staff.roles.organizer",
    "staff.roles.organizer+coordinator+official",
    "staff.roles.organizer+coordinator",
    "staff.roles.official",
)  # every step's caller, a report's alert recipients, escalation steps


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
    def for_phone(cls, phone: str) -> Staff | None:
        """The active staff member with this phone, or None (on every SMS and every report's alerts)."""
        sql = prepared("staff.for_phone", lambda: cls.select().where((cls.phone == "") & (cls.active == True)))  # noqa: E712
        return fetch_instance(cls, sql, (phone, True))

    @classmethod
    def active_in_roles(cls, roles: tuple[str, ...]) -> list[Staff]:
        """Active staff with one of these roles, by name (the recipients of a report's alert)."""
        sql = prepared(
            "staff.roles." + "+".join(roles),
            lambda: cls.select().where((cls.active == True) & cls.role.in_(roles)).order_by(cls.name, cls.id),  # noqa: E712
        )
        return fetch_instances(cls, sql, (True, *roles))

    @classmethod
    def coordinators(cls) -> list[Staff]:
        """Active coordinators, by name (told when the service's daily SMS limit is reached; not a hot path)."""
        return list(
            cls.select()
            .where((cls.active == True) & (cls.role == "coordinator"))  # noqa: E712
            .order_by(cls.name, cls.id)
        )


class Village(BaseModel):
    """A village offered in the registration menu (the configured list)."""

    name = peewee.CharField(max_length=30, unique=True)
    position = peewee.IntegerField(default=0)

    @classmethod
    def names(cls) -> list[str]:
        """Village names in menu order."""
        sql = prepared("village.names", lambda: cls.select(cls.name).order_by(cls.position, cls.name))
        return [row[0] for row in cls._meta.database.execute_sql(sql)]
