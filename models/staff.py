"""Organisers, coordinators, officials and cadres who receive alerts or tasks and act by SMS."""

from __future__ import annotations

import peewee

from models.base import BaseModel, fetch_instance, fetch_instances, hot_statements, prepared, utcnow

ROLES = ("organizer", "coordinator", "official", "cadre")
"""Staff roles. A cadre is a volunteer in training: visit and mentoring tasks, never case alerts (case handling is
`models.case.HANDLER_ROLES`), until promoted to organizer."""

AGENCIES = ("disnaker", "bp3mi", "polisi", "kbri")
"""The agencies an official belongs to: the regency labour office, the province's migrant-worker protection office,
the police, the embassy. A village head belongs to none: they have a village."""

DEFAULT_AGENCY = "disnaker"
"""An official's agency when none is given, and where RUJUK refers a case when it names none."""


class StaffError(ValueError):
    """A staff record the rules refuse; the message says why, naming the option."""


def official_agency(role: str, village: str | None, agency: str | None) -> str | None:
    """The agency to store for a staff member: an official without a village gets `agency` (default disnaker);
    a village head (an official with a village) and everyone else get none. Refuses an agency it cannot store."""
    agency = agency.strip().lower() if agency and agency.strip() else None
    if agency is not None and agency not in AGENCIES:
        raise StaffError(f"--agency must be one of {', '.join(AGENCIES)}, got {agency!r}")
    if agency is not None and role != "official":
        raise StaffError(f"--agency is only for officials, not a {role}")
    if agency is not None and village:
        raise StaffError("a village head has a village and no agency: give --village or --agency, not both")
    if role != "official" or village:
        return None
    return agency or DEFAULT_AGENCY


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
    agency = peewee.CharField(max_length=10, null=True)
    """An official's agency (`AGENCIES`); none for a village head and for organisers, coordinators and cadres."""
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

    @property
    def referral_agency(self) -> str | None:
        """The agency this official takes referrals for: their own (disnaker when not stored); None for a village
        head and for anyone who is not an official."""
        if self.role != "official" or self.village:
            return None
        return self.agency or DEFAULT_AGENCY

    @classmethod
    def officials_of(cls, agency: str) -> list[Staff]:
        """Active officials of this agency, by name (an official stored without one counts as disnaker's)."""
        officials = cls.select().where((cls.active == True) & (cls.role == "official") & cls.village.is_null())  # noqa: E712
        of_agency = cls.agency == agency
        if agency == DEFAULT_AGENCY:
            of_agency = of_agency | cls.agency.is_null()
        return list(officials.where(of_agency).order_by(cls.name, cls.id))

    @classmethod
    def village_head(cls, village: str) -> Staff | None:
        """The active village head of this village (an official with that village), first by name; or None."""
        return (
            cls.select()
            .where((cls.active == True) & (cls.role == "official") & (cls.village == village))  # noqa: E712
            .order_by(cls.name, cls.id)
            .first()
        )

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
