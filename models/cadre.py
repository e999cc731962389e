"""Cadres: villagers who apply to volunteer (KADER, "Jadi kader"), are approved by a coordinator with a mentor, take
visit and mentoring tasks, and are promoted to organiser by their mentor or a coordinator.

A cadre is a staff member with role `cadre` (`models.staff.ROLES`): they get tasks, never case alerts, until
promoted. The application row keeps who decided, the mentor and the promotion, so the digest can count new and
active cadres and how soon they first acted.
"""

from __future__ import annotations

import datetime as dt

import peewee

from models.audit import AuditEvent
from models.base import BaseModel, utcnow
from models.crypto import EncryptedTextField
from models.staff import Staff

HELPS = ("visits", "training", "advocacy", "admin", "all")
"""What an applicant can help with: visiting returnees, trainings, accompanying cases, administration, or all."""

WHY_MAX = 120
"""The longest "why" kept (a short SMS answer)."""

DECIDERS = ("coordinator",)
"""Roles that approve or refuse an application (SETUJU / TOLAK)."""

PROMOTERS = ("coordinator",)
"""Roles that may promote any cadre; a cadre's own mentor may promote them too (PROMOSI)."""


class CadreError(ValueError):
    """A cadre operation the rules refuse; `reason` says why (a feature turns it into a text)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class CadreApplication(BaseModel):
    """One application to become a cadre: pending -> approved (a cadre with a mentor) or refused; later promoted."""

    phone = peewee.CharField(max_length=20, index=True)
    name = peewee.CharField(max_length=30)
    village = peewee.CharField(max_length=30)
    helps = peewee.CharField(max_length=10)
    why = EncryptedTextField(null=True)
    """The applicant's own words (encrypted at rest like other words people send)."""
    source_key = peewee.CharField(max_length=100, unique=True)
    """The session or conversation that made it: a replayed last step applies once."""
    status = peewee.CharField(max_length=10, default="pending", index=True)
    decided_by = peewee.CharField(max_length=20, null=True)
    decided_at = peewee.DateTimeField(null=True, index=True)
    mentor_phone = peewee.CharField(max_length=20, null=True)
    promoted_by = peewee.CharField(max_length=20, null=True)
    promoted_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    @classmethod
    def submit(
        cls, phone: str, *, name: str, village: str, helps: str, why: str, source_key: str
    ) -> tuple[CadreApplication, bool]:
        """Store an application once per session (a replay returns the stored one); (application, new).
        CadreError 'pending' when this number has one waiting already, 'staff' when it is staff."""
        if helps not in HELPS:
            raise ValueError(f"unknown help {helps!r}")
        stored = cls.get_or_none(cls.source_key == source_key)
        if stored is not None:
            return stored, False
        if Staff.for_phone(phone) is not None:
            raise CadreError("staff", "this number is staff already")
        if cls.pending_for(phone) is not None:
            raise CadreError("pending", "an application from this number is waiting")
        application = cls.create(
            phone=phone,
            name=name[:30],
            village=village[:30],
            helps=helps,
            why=" ".join(why.split())[:WHY_MAX] or None,
            source_key=source_key,
        )
        return application, True

    @classmethod
    def pending_for(cls, phone: str) -> CadreApplication | None:
        """This number's application waiting for a decision, if any."""
        return cls.get_or_none((cls.phone == phone) & (cls.status == "pending"))

    @classmethod
    def by_id(cls, raw: str) -> CadreApplication | None:
        """The application with this number as typed ("12"), or None."""
        return cls.get_or_none(cls.id == int(raw)) if raw.isdigit() and len(raw) < 10 else None

    def approve(self, decider: Staff, now: dt.datetime | None = None) -> Staff:
        """Make the applicant a cadre of their village with a mentor (an organiser of the village, else the
        approving coordinator), a `staff_added` audit event; returns the cadre's staff row. CadreError
        'not_allowed', 'decided' or 'staff'."""
        self._require_decider(decider)
        now = now or utcnow()
        if Staff.for_phone(self.phone) is not None:
            raise CadreError("staff", "the applicant is staff already")
        mentor = mentor_for(self.village, decider)
        won = (
            CadreApplication.update(
                status="approved", decided_by=decider.phone, decided_at=now, mentor_phone=mentor.phone
            )
            .where((CadreApplication.id == self.id) & (CadreApplication.status == "pending"))
            .execute()
        )
        if not won:
            raise CadreError("decided", f"application {self.id} was decided already")
        self.status, self.decided_by, self.decided_at, self.mentor_phone = "approved", decider.phone, now, mentor.phone
        cadre = Staff.get_or_none(Staff.phone == self.phone)
        if cadre is None:
            cadre = Staff.create(phone=self.phone, name=self.name, role="cadre", village=self.village)
        else:  # someone who left the staff comes back as a cadre
            cadre.name, cadre.role, cadre.village, cadre.agency, cadre.active = (
                self.name,
                "cadre",
                self.village,
                None,
                True,
            )
            cadre.save()
        AuditEvent.record(decider, "staff_added", cadre.phone)
        return cadre

    def refuse(self, decider: Staff, now: dt.datetime | None = None) -> None:
        """Refuse the application. CadreError 'not_allowed' or 'decided'."""
        self._require_decider(decider)
        now = now or utcnow()
        won = (
            CadreApplication.update(status="refused", decided_by=decider.phone, decided_at=now)
            .where((CadreApplication.id == self.id) & (CadreApplication.status == "pending"))
            .execute()
        )
        if not won:
            raise CadreError("decided", f"application {self.id} was decided already")
        self.status, self.decided_by, self.decided_at = "refused", decider.phone, now

    def _require_decider(self, staff: Staff) -> None:
        if staff.role not in DECIDERS:
            raise CadreError("not_allowed", f"a {staff.role} does not decide applications")

    def mentor(self) -> Staff | None:
        """The cadre's mentor while they are active staff."""
        return Staff.for_phone(self.mentor_phone) if self.mentor_phone else None

    @classmethod
    def approved_for(cls, phone: str) -> CadreApplication | None:
        """The latest approved application of this number (the one that made them a cadre), if any."""
        return (
            cls.select()
            .where((cls.phone == phone) & (cls.status == "approved"))
            .order_by(cls.decided_at.desc(), cls.id.desc())
            .first()
        )

    @classmethod
    def mentor_of(cls, cadre_phone: str) -> Staff | None:
        """The mentor of the cadre with this number, while both the application and the mentor stand."""
        application = cls.approved_for(cadre_phone)
        return application.mentor() if application is not None else None


def mentor_for(village: str, decider: Staff) -> Staff:
    """A new cadre's mentor: the first active organiser of their village (by name), else the deciding coordinator."""
    organisers = [s for s in Staff.active_in_roles(("organizer",)) if s.village == village]
    return organisers[0] if organisers else decider


def promote(promoter: Staff, cadre_phone: str, now: dt.datetime | None = None) -> Staff:
    """The cadre with this number becomes an organiser (case alerts from now on; a `staff_changed` audit event);
    returns them. Only their mentor or a coordinator. CadreError 'not_cadre' or 'not_allowed'."""
    cadre = Staff.for_phone(cadre_phone)
    if cadre is None or cadre.role != "cadre":
        raise CadreError("not_cadre", "that number is not an active cadre")
    application = CadreApplication.approved_for(cadre_phone)
    is_mentor = application is not None and application.mentor_phone == promoter.phone
    if promoter.role not in PROMOTERS and not is_mentor:
        raise CadreError("not_allowed", f"a {promoter.role} who is not the mentor cannot promote")
    cadre.role = "organizer"
    cadre.save(only=[Staff.role])
    AuditEvent.record(promoter, "staff_changed", cadre.phone)
    if application is not None:
        application.promoted_by, application.promoted_at = promoter.phone, now or utcnow()
        application.save(only=[CadreApplication.promoted_by, CadreApplication.promoted_at])
    return cadre
