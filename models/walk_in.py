"""A walk-in: someone who came to a training without signing up, added on the day by an organiser.

They are registered on the spot as attended (so they are counted, and the follow-ups can reach them), and asked for
consent by SMS. Until they answer, the service keeps only their number on the training's roster and the name the
organiser typed (here, for the roster of that day), nothing more. "Yes" records their consent with its wording
version and moves the name to their record (`Person`); "no", or no answer by the first follow-up, erases the name and
takes their number off the roster: the attendance still counts, as nobody's. Follow-ups go only to walk-ins who said
yes.
"""

from __future__ import annotations

import datetime as dt
import logging

import peewee

from models.base import BaseModel, utcnow
from models.person import NAME_MAX, Person
from models.phones import mask
from models.training import Enrollment, Training

log = logging.getLogger(__name__)

WALK_IN_CONSENT_VERSION = "consent-walkin-v1"
"""Version of the consent SMS a walk-in answers (`training.sms.walk_in_consent`); bump it when the wording changes."""

ANSWERS = ("yes", "no", "expired")
"""A walk-in's answer: yes, no, or none by the first follow-up (treated as no)."""

FORGOTTEN_PREFIX = "walk-in-"
"""What replaces a walk-in's number on the roster once they said no or did not answer (not a phone number)."""


class WalkIn(BaseModel):
    """One walk-in's enrollment, the name held until they answer, and their answer to the consent SMS."""

    enrollment = peewee.ForeignKeyField(Enrollment, unique=True, on_delete="CASCADE")
    name = peewee.CharField(max_length=NAME_MAX, null=True)
    """The name the organiser typed, kept only until the answer (moved to the person on yes, erased otherwise)."""
    added_by = peewee.CharField(max_length=20)
    answer = peewee.CharField(max_length=8, null=True)
    answered_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "walk_in"

    @classmethod
    def register(
        cls, training: Training, phone: str, name: str, added_by: str, now: dt.datetime | None = None
    ) -> tuple[Enrollment, WalkIn | None, bool]:
        """Mark this E.164 number attended on the spot (HADIR's rules: not a cancelled training, not before its
        day); (their enrollment, their walk-in or None when the person consented before, whether the walk-in is
        new: its consent is to be asked). Adding the same number again changes nothing. Call inside a
        transaction."""
        now = now or utcnow()
        enrollment = Enrollment.get_or_none((Enrollment.training == training.id) & (Enrollment.phone == phone))
        if enrollment is None:
            enrollment = Enrollment.create(
                training=training.id, phone=phone, status="signed_up", queued_at=now, created_at=now, updated_at=now
            )
        elif enrollment.status in ("waitlisted", "cancelled"):
            enrollment.update_fields(status="signed_up")
        training.mark_attended([phone], now)
        enrollment = Enrollment.get_by_id(enrollment.id)
        person = Person.for_phone(phone)
        if person is not None and person.has_consented:
            return enrollment, None, False
        walk_in, created = cls.get_or_create(enrollment=enrollment.id, defaults={"name": name, "added_by": added_by})
        if created:
            log.info("walk-in %s added to training %s", mask(phone), training.code)
        return enrollment, walk_in, created

    @classmethod
    def of_training(cls, training: Training) -> dict[int, WalkIn]:
        """The training's walk-ins by enrollment id."""
        query = cls.select().join(Enrollment).where(Enrollment.training == training.id)
        return {walk_in.enrollment.id: walk_in for walk_in in query.select(cls, Enrollment)}

    @classmethod
    def awaiting(cls, phone: str) -> WalkIn | None:
        """The latest walk-in of this number still waiting for its answer."""
        return (
            cls.select(cls, Enrollment)
            .join(Enrollment)
            .where((Enrollment.phone == phone) & cls.answer.is_null())
            .order_by(cls.id.desc())
            .first()
        )

    def accept(self, language: str, via: str = "sms", now: dt.datetime | None = None) -> None:
        """Yes: their consent (with this wording's version), their name and language go to their record."""
        Person.consent_for_training(
            self.enrollment.phone, name=self.name or "", language=language, via=via, version=WALK_IN_CONSENT_VERSION
        )
        self.update_fields(answer="yes", answered_at=now or utcnow(), name=None)

    def refuse(self, answer: str = "no", now: dt.datetime | None = None) -> None:
        """No (or no answer): the name is erased and the number taken off the roster; the attendance still counts."""
        enrollment = self.enrollment
        enrollment.update_fields(phone=f"{FORGOTTEN_PREFIX}{enrollment.id}")
        self.update_fields(answer=answer, answered_at=now or utcnow(), name=None)

    @classmethod
    def settle_before_followup(cls, training: Training, now: dt.datetime | None = None) -> set[int]:
        """Before a follow-up: walk-ins who never answered are treated as a no; the enrollment ids the follow-up
        leaves out (every walk-in who did not say yes)."""
        walk_ins = cls.of_training(training)
        for walk_in in walk_ins.values():
            if walk_in.answer is None:
                walk_in.refuse("expired", now)
        return {enrollment_id for enrollment_id, w in walk_ins.items() if w.answer != "yes"}
