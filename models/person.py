"""People who use the service by phone: workers, returnees, families, and contacts not yet registered."""

from __future__ import annotations

import peewee

from models.base import BaseModel, PreparedInsert, fetch_instance, hot_statements, iso_utc, prepared, utcnow

STATUSES = ("calon", "aktif", "purna", "keluarga")
COUNTRIES = ("hongkong", "taiwan", "malaysia", "singapura", "saudi", "korsel", "jepang", "lainnya")
STATUSES_WITH_COUNTRY = ("calon", "aktif", "purna")
CONSENT_VERSION = "consent-v1"
"""Version of the consent wording shown in `register.consent`; bump it when the wording changes."""
TRAINING_CONSENT_VERSION = "consent-training-v1"
"""Version of the short consent wording shown before a training sign-up (`training.consent`)."""

NAME_MAX = 30
VILLAGE_MAX = 30

hot_statements("person.for_phone", "insert.person.register")  # registration


class Person(BaseModel):
    """A phone number we talk to; registered once consent, name and status are given."""

    phone = peewee.CharField(max_length=20, unique=True)
    name = peewee.CharField(max_length=NAME_MAX, null=True)
    village = peewee.CharField(max_length=VILLAGE_MAX, null=True)
    status = peewee.CharField(max_length=10, null=True)
    country = peewee.CharField(max_length=20, null=True)
    language = peewee.CharField(max_length=5, null=True)
    consent_at = peewee.DateTimeField(null=True, index=True)
    consent_version = peewee.CharField(max_length=20, null=True)
    registered_via = peewee.CharField(max_length=10, null=True)
    registration_key = peewee.CharField(max_length=100, null=True)
    opted_out_at = peewee.DateTimeField(null=True)
    unsafe_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    @property
    def is_registered(self) -> bool:
        """True once the person gave consent and completed registration."""
        return self.consent_at is not None and self.status is not None

    @classmethod
    def for_phone(cls, phone: str) -> Person | None:
        """The person with this E.164 phone, or None (on the hot path of every USSD step)."""
        sql = prepared("person.for_phone", lambda: cls.select().where(cls.phone == ""))
        return fetch_instance(cls, sql, (phone,))

    @classmethod
    def register(
        cls,
        phone: str,
        *,
        name: str,
        village: str | None,
        status: str,
        country: str | None,
        language: str,
        via: str,
        registration_key: str,
    ) -> bool:
        """Record a registration with consent given now; False if this phone had already consented.

        One statement (insert, or fill in a bare contact row), so concurrent or replayed final steps
        register a phone once.
        """
        now = utcnow()
        return bool(
            REGISTRATION_UPSERT.changed_rows(
                phone=phone,
                name=name,
                village=village,
                status=status,
                country=country,
                language=language,
                consent_at=now,
                consent_version=CONSENT_VERSION,
                registered_via=via,
                registration_key=registration_key,
                created_at=now,
                updated_at=now,
            )
        )

    @classmethod
    def consent_for_training(
        cls, phone: str, *, name: str, language: str, via: str, version: str = TRAINING_CONSENT_VERSION
    ) -> bool:
        """The short form of registration (consent and a name) before a training sign-up, or a walk-in's answer
        (`version`: the wording they agreed to); False if this phone had consented already (its name and consent
        stay as they were)."""
        now = utcnow()
        values = dict(
            name=name,
            language=language,
            consent_at=now,
            consent_version=version,
            registered_via=via,
            updated_at=now,
        )
        insert = cls.insert(phone=phone, created_at=now, **values).on_conflict(
            conflict_target=[cls.phone],
            update={getattr(cls, k): v for k, v in values.items()},
            where=cls.consent_at.is_null(),
        )
        return bool(cls._meta.database.execute(insert).rowcount)

    @property
    def has_consented(self) -> bool:
        """True once the person gave consent (full registration or the short form) and a name."""
        return self.consent_at is not None and bool(self.name)

    @classmethod
    def contact(cls, phone: str) -> Person:
        """The row for this phone, created bare (no personal data) if missing."""
        person, _ = cls.get_or_create(phone=phone)
        return person

    @classmethod
    def opt_out(cls, phone: str) -> bool:
        """Stop unsolicited SMS to this phone (BERHENTI, or the provider's opt-out); False if it already was."""
        person = cls.contact(phone)
        if person.opted_out_at is not None:
            return False
        person.update_fields(opted_out_at=utcnow())
        return True

    @classmethod
    def opt_in(cls, phone: str) -> bool:
        """Allow unsolicited SMS to this phone again (MULAI); False if it was not opted out."""
        person = cls.contact(phone)
        if person.opted_out_at is None:
            return False
        person.update_fields(opted_out_at=None)
        return True

    @classmethod
    def mark_unsafe(cls, phone: str) -> None:
        """Mark a number unsafe to contact: from now on it gets only replies to its own messages."""
        person = cls.contact(phone)
        if person.unsafe_at is None:
            person.update_fields(unsafe_at=utcnow())

    def to_export(self) -> dict[str, object]:
        """Flat record for `export people`."""
        return {
            "phone": self.phone,
            "name": self.name,
            "village": self.village,
            "status": self.status,
            "country": self.country,
            "language": self.language,
            "consent_at": iso_utc(self.consent_at),
            "opted_out_at": iso_utc(self.opted_out_at),
            "created_at": iso_utc(self.created_at),
        }


REGISTRATION_FIELDS = (
    "name",
    "village",
    "status",
    "country",
    "language",
    "consent_at",
    "consent_version",
    "registered_via",
    "registration_key",
    "updated_at",
)
"""What a registration writes over a bare contact row (phone and created_at stay)."""

REGISTRATION_UPSERT = PreparedInsert(
    "person.register",
    Person,
    ("phone", *REGISTRATION_FIELDS, "created_at"),
    on_conflict={
        "conflict_target": [Person.phone],
        "update": {Person._meta.fields[name]: peewee.EXCLUDED[name] for name in REGISTRATION_FIELDS},
        "where": Person.status.is_null(),  # not registered yet (a short-form consent may precede it)
    },
)
