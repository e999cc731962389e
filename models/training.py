"""Trainings, their scheduled steps and who signed up: the rules of seats, waiting lists and attendance.

Who may sign up, who is promoted, who is told of a change and who gets a follow-up are decided here;
the features only turn those decisions into texts. Every change that counts seats first locks the
training row (an UPDATE of it), so two last-seat sign-ups on PostgreSQL cannot both get the seat.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any, cast

import peewee

from models.base import BaseModel, iso_utc, utcnow
from models.codes import normalise_code
from models.gsm import fold_to_gsm7
from models.person import Person
from models.phones import mask
from models.settings import to_local
from models.task import Task, mentoring_source
from models.training_terms import (
    ANSWERS,
    CODE_PATTERN,
    KINDS,
    PLACE_MAX,
    SEATED,
    STEP_KINDS,
    STILL_COMING,
    TITLE_MAX,
    TrainingError,
    local_label,
    step_due,
)

log = logging.getLogger(__name__)


def _sms_text(typed: str) -> str:
    """A title or place as SMS carry it: GSM-7 (a pasted dash or curly quote folded), single spaces."""
    return " ".join(fold_to_gsm7(typed).split())


def _checked_details(title: str, place: str, kind: str) -> tuple[str, str, str]:
    """A training's title, place and kind as stored (GSM-7, single spaces), or TrainingError naming the field."""
    if kind not in KINDS:
        raise TrainingError("training.invalid", f"kind must be one of {', '.join(KINDS)}", "kind")
    title, place = _sms_text(title), _sms_text(place)  # every training SMS stays GSM-7 (one segment each)
    if not title or len(title) > TITLE_MAX:
        raise TrainingError("training.invalid", f"title must have 1 to {TITLE_MAX} characters", "title")
    if not place or len(place) > PLACE_MAX:
        raise TrainingError("training.invalid", f"place must have 1 to {PLACE_MAX} characters", "place")
    return title, place, kind


class Training(BaseModel):
    """A training session: code, title, kind, start (UTC), place, capacity, status."""

    code = peewee.CharField(max_length=10, unique=True)
    title = peewee.CharField(max_length=TITLE_MAX)
    kind = peewee.CharField(max_length=10)
    starts_at = peewee.DateTimeField(index=True)
    place = peewee.CharField(max_length=PLACE_MAX)
    capacity = peewee.IntegerField()
    status = peewee.CharField(max_length=10, default="planned")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    @property
    def starts_label(self) -> str:
        """The start in local time, as an SMS shows it."""
        return local_label(self.starts_at)

    @classmethod
    def by_code(cls, raw: str) -> Training | None:
        """The training with this code, typed in any case, with or without a dash."""
        code = normalise_code(raw)
        return cls.get_or_none(cls.code == code) if code else None

    @classmethod
    def upcoming(cls, now: dt.datetime | None = None) -> peewee.ModelSelect[Training]:
        """Planned trainings that have not started, soonest first (what LATIH and "Pelatihan" list)."""
        return (
            cls.select()
            .where((cls.status == "planned") & (cls.starts_at > (now or utcnow())))
            .order_by(cls.starts_at, cls.code)
        )

    @classmethod
    def add(
        cls,
        code: str,
        title: str,
        kind: str,
        starts_at: dt.datetime,
        place: str,
        capacity: int,
        now: dt.datetime | None = None,
    ) -> Training:
        """Create a planned training and its steps (reminder, follow-ups); call inside a transaction."""
        now = now or utcnow()
        code = normalise_code(code)
        if not CODE_PATTERN.match(code):
            raise TrainingError("training.invalid", f"code {code!r} must be 3 to 10 letters or digits", "code")
        title, place, kind = _checked_details(title, place, kind)
        if capacity < 1:
            raise TrainingError("training.invalid", "capacity must be at least 1", "capacity")
        if starts_at <= now:
            raise TrainingError("training.invalid", "the start is in the past", "starts")
        if cls.select().where(cls.code == code).exists():
            raise TrainingError("training.invalid", f"a training with code {code} already exists", "code")
        training = cls.create(
            code=code,
            title=title,
            kind=kind,
            starts_at=starts_at,
            place=place,
            capacity=capacity,
            status="planned",
            created_at=now,
            updated_at=now,
        )
        for kind_ in STEP_KINDS:
            TrainingStep.create(training=training, kind=kind_, due_at=step_due(kind_, starts_at))
        return training

    def amend(self, title: str | None, place: str | None, kind: str | None) -> bool:
        """Change the title, place or kind (None: unchanged), checked as `add` checks them; True if the place
        changed (those still coming are to be told). Call inside a transaction."""
        if self.status != "planned":
            raise TrainingError("training.closed", f"training {self.code} is {self.status}, not planned")
        title, place, kind = _checked_details(
            self.title if title is None else title,
            self.place if place is None else place,
            self.kind if kind is None else kind,
        )
        if (title, place, kind) == (self.title, self.place, self.kind):
            return False
        place_changed = place != self.place
        self.lock()
        self.title, self.place, self.kind = title, place, kind
        self.save(only=[Training.title, Training.place, Training.kind, Training.updated_at])
        return place_changed

    def lock(self) -> None:
        """Take the training row for this transaction (PostgreSQL row lock; SQLite's write lock already is)."""
        self.updated_at = utcnow()
        Training.update(updated_at=self.updated_at).where(Training.id == self.id).execute()

    def enrollments(self, statuses: tuple[str, ...]) -> peewee.ModelSelect[Enrollment]:
        """This training's enrollments in these statuses, first come first."""
        return (
            Enrollment.select()
            .where((Enrollment.training == self.id) & Enrollment.status.in_(statuses))
            .order_by(Enrollment.queued_at, Enrollment.id)
        )

    def seats_taken(self) -> int:
        """People holding a seat."""
        return self.enrollments(SEATED).count()

    def seats_left(self) -> int:
        """Seats still free (0 when full)."""
        return max(0, self.capacity - self.seats_taken())

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """Planned and not started: sign-ups and cancellations are taken."""
        return self.status == "planned" and self.starts_at > (now or utcnow())

    def sign_up(self, phone: str, now: dt.datetime | None = None) -> tuple[Enrollment, str]:
        """Take a seat, or a place on the waiting list when full; (enrollment, outcome).

        Outcomes: `signed_up`, `waitlisted`, `already_signed_up`, `already_waitlisted`. Signing up twice
        or replaying a step changes nothing. Call inside a transaction.
        """
        now = now or utcnow()
        if not self.is_open(now):
            raise TrainingError("training.closed", f"training {self.code} takes no sign-ups")
        self.lock()
        enrollment = Enrollment.get_or_none((Enrollment.training == self.id) & (Enrollment.phone == phone))
        if enrollment is not None and enrollment.status in ("signed_up", "attended", "absent"):
            return enrollment, "already_signed_up"
        if enrollment is not None and enrollment.status == "waitlisted":
            return enrollment, "already_waitlisted"
        status = "signed_up" if self.seats_taken() < self.capacity else "waitlisted"
        if enrollment is None:
            enrollment = Enrollment.create(
                training=self.id, phone=phone, status=status, queued_at=now, created_at=now, updated_at=now
            )
        else:
            enrollment.update_fields(status=status, queued_at=now)
        log.info("%s %s for training %s", mask(phone), status, self.code)
        return enrollment, status

    def withdraw(self, phone: str, now: dt.datetime | None = None) -> tuple[Enrollment | None, Enrollment | None]:
        """Cancel this phone's seat or waiting place; (cancelled enrollment or None, promoted enrollment or None).

        A freed seat goes to the first on the waiting list. Call inside a transaction.
        """
        now = now or utcnow()
        if not self.is_open(now):
            raise TrainingError("training.closed", f"training {self.code} takes no cancellations")
        self.lock()
        enrollment = Enrollment.get_or_none(
            (Enrollment.training == self.id) & (Enrollment.phone == phone) & Enrollment.status.in_(STILL_COMING)
        )
        if enrollment is None:
            return None, None
        freed = enrollment.status == "signed_up"
        enrollment.update_fields(status="cancelled")
        promoted = None
        if freed and self.seats_taken() < self.capacity:
            promoted = self.enrollments(("waitlisted",)).first()
            if promoted is not None:
                promoted.update_fields(status="signed_up")
                log.info("%s promoted from the waiting list of %s", mask(promoted.phone), self.code)
        return enrollment, promoted

    def cancel(self, now: dt.datetime | None = None) -> list[Enrollment]:
        """Cancel the training; return who is to be told (signed up and waiting). Call inside a transaction."""
        if self.status != "planned":
            raise TrainingError("training.closed", f"training {self.code} is {self.status}, not planned")
        self.lock()
        self.status = "cancelled"
        self.save(only=[Training.status, Training.updated_at])
        return list(self.enrollments(STILL_COMING))

    def move(self, starts_at: dt.datetime, now: dt.datetime | None = None) -> list[Enrollment]:
        """Move the start (and so the reminder and follow-ups); return who is to be told. Call in a transaction."""
        now = now or utcnow()
        if self.status != "planned":
            raise TrainingError("training.closed", f"training {self.code} is {self.status}, not planned")
        if starts_at <= now:
            raise TrainingError("training.closed", "the new start is in the past", "starts")
        self.lock()
        self.starts_at = starts_at
        self.save(only=[Training.starts_at, Training.updated_at])
        for step in TrainingStep.select().where(TrainingStep.training == self.id):
            step.due_at, step.done_at = step_due(step.kind, starts_at), None
            step.save()
        return list(self.enrollments(STILL_COMING))

    def resize(self, capacity: int) -> list[Enrollment]:
        """Change the number of seats; a larger room promotes the first on the waiting list (returned, to be
        told). Never below the people already holding a seat. Call inside a transaction."""
        if self.status != "planned":
            raise TrainingError("training.closed", f"training {self.code} is {self.status}, not planned")
        self.lock()
        taken = self.seats_taken()
        if capacity < max(1, taken):
            raise TrainingError(
                "training.invalid",
                f"capacity {capacity} is below the {taken} people already signed up"
                if capacity >= 1
                else "capacity must be at least 1",
                "capacity",
            )
        self.capacity = capacity
        self.save(only=[Training.capacity, Training.updated_at])
        promoted = list(self.enrollments(("waitlisted",)).limit(capacity - taken))
        for enrollment in promoted:
            enrollment.update_fields(status="signed_up")
        return promoted

    def mark_attended(self, phones: list[str], now: dt.datetime | None = None) -> tuple[list[str], list[str]]:
        """Mark these people attended and the training held (the rest of the signed-up become absent);
        (marked, not signed up). Marking again is harmless. Call inside a transaction."""
        now = now or utcnow()
        if self.status == "cancelled":
            raise TrainingError("training.staff.cancelled", f"training {self.code} was cancelled")
        if to_local(now).date() < to_local(self.starts_at).date():
            raise TrainingError(
                "training.staff.too_early",
                f"training {self.code} is on {self.starts_label}: attendance is taken from that day on",
            )
        self.lock()
        marked, strangers = [], []
        for phone in dict.fromkeys(phones):
            enrollment = Enrollment.get_or_none(
                (Enrollment.training == self.id) & (Enrollment.phone == phone) & Enrollment.status.in_(SEATED)
            )
            if enrollment is None:
                strangers.append(phone)
                continue
            if enrollment.status != "attended":
                enrollment.update_fields(status="attended")
            marked.append(phone)
        if marked:
            if self.status != "held":
                self.status = "held"
                self.save(only=[Training.status, Training.updated_at])
            (
                Enrollment.update(status="absent", updated_at=now)
                .where((Enrollment.training == self.id) & (Enrollment.status == "signed_up"))
                .execute()
            )
        return marked, strangers

    @classmethod
    def measures(cls) -> dict[int, dict[str, int]]:
        """Per training id: signed_up, waitlisted, attended, applied, needs_help (people), by SQL aggregates.

        `applied` and `needs_help` count attendees by their latest follow-up answer.
        """
        latest = peewee.fn.COALESCE(Enrollment.answer_90, Enrollment.answer_30)

        def count_where(condition: peewee.Expression) -> peewee.Function:
            return peewee.fn.SUM(peewee.Case(None, ((condition, 1),), 0))

        # peewee's stubs type a `.dicts()` query as yielding model instances
        rows = cast(
            "Iterable[dict[str, Any]]",
            Enrollment.select(
                Enrollment.training,
                count_where(Enrollment.status.in_(SEATED)).alias("signed_up"),
                count_where(Enrollment.status == "waitlisted").alias("waitlisted"),
                count_where(Enrollment.status == "attended").alias("attended"),
                count_where((Enrollment.status == "attended") & (latest == "applied")).alias("applied"),
                count_where((Enrollment.status == "attended") & (latest == "help")).alias("needs_help"),
            )
            .group_by(Enrollment.training)
            .dicts(),
        )
        names = ("signed_up", "waitlisted", "attended", "applied", "needs_help")
        return {row["training"]: {name: int(row[name] or 0) for name in names} for row in rows}

    def to_export(self, measures: dict[str, int] | None = None) -> dict[str, object]:
        """Flat record for `export trainings` (numbers are people)."""
        counts = measures or {}
        return {
            "code": self.code,
            "title": self.title,
            "kind": self.kind,
            "starts": iso_utc(self.starts_at),
            "place": self.place,
            "capacity": self.capacity,
            "status": self.status,
            **{name: counts.get(name, 0) for name in ("signed_up", "waitlisted", "attended", "applied", "needs_help")},
        }


class TrainingStep(BaseModel):
    """A scheduled step of a training (reminder, follow-ups): the due row the sweep fires if its job is lost."""

    training = peewee.ForeignKeyField(Training, backref="steps", on_delete="CASCADE")
    kind = peewee.CharField(max_length=12)
    due_at = peewee.DateTimeField(index=True)
    done_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("training", "kind"), True),)

    @classmethod
    def due(cls, now: dt.datetime) -> peewee.ModelSelect[TrainingStep]:
        """Steps due and not done, of trainings not cancelled."""
        return (
            cls.select(cls, Training)
            .join(Training)
            .where(cls.done_at.is_null() & (cls.due_at <= now) & (Training.status != "cancelled"))
        )

    def claim(self, now: dt.datetime | None = None) -> bool:
        """Mark the step done if nobody has (the job, the sweep's copy and a retry: one of them wins)."""
        now = now or utcnow()
        won = (
            TrainingStep.update(done_at=now)
            .where((TrainingStep.id == self.id) & TrainingStep.done_at.is_null() & (TrainingStep.due_at <= now))
            .execute()
        )
        if won:
            self.done_at = now
        return bool(won)

    def postpone(self, until: dt.datetime) -> None:
        """Make a claimed step due again at `until` (naive UTC): some of its people could not be asked yet."""
        TrainingStep.update(done_at=None, due_at=until).where(TrainingStep.id == self.id).execute()
        self.done_at, self.due_at = None, until


class Enrollment(BaseModel):
    """One phone's place in one training, and its follow-up answers."""

    training = peewee.ForeignKeyField(Training, backref="enrollments_", on_delete="CASCADE")
    phone = peewee.CharField(max_length=20, index=True)
    status = peewee.CharField(max_length=12)
    queued_at = peewee.DateTimeField()
    asked_stage = peewee.IntegerField(null=True)
    asked_at = peewee.DateTimeField(null=True)
    answer_30 = peewee.CharField(max_length=10, null=True)
    answered_30_at = peewee.DateTimeField(null=True, index=True)
    answer_90 = peewee.CharField(max_length=10, null=True)
    answered_90_at = peewee.DateTimeField(null=True, index=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("training", "phone"), True),)

    @classmethod
    def of_phone(cls, phone: str, statuses: tuple[str, ...] = STILL_COMING) -> peewee.ModelSelect[Enrollment]:
        """This phone's enrollments in upcoming planned trainings, soonest first ("Pelatihan saya")."""
        return (
            cls.select(cls, Training)
            .join(Training)
            .where(
                (cls.phone == phone)
                & cls.status.in_(statuses)
                & (Training.status == "planned")
                & (Training.starts_at > utcnow())
            )
            .order_by(Training.starts_at)
        )

    def ask(self, stage: int, now: dt.datetime | None = None) -> None:
        """Record that the `stage`-day follow-up question went to this attendee (its answer is awaited)."""
        self.update_fields(asked_stage=stage, asked_at=now or utcnow())

    def answer(self, stage: int, answer: str, now: dt.datetime | None = None) -> Task | None:
        """Record the answer to the `stage`-day follow-up; return a mentoring task newly opened by it.

        "Needs help", or "not yet" at both follow-ups, opens one mentoring task for the organisers. A
        replayed answer changes nothing.
        """
        if answer not in ANSWERS:
            raise ValueError(f"unknown follow-up answer {answer!r}")
        if getattr(self, f"answer_{stage}") is not None:
            return None
        self.update_fields(**{f"answer_{stage}": answer, f"answered_{stage}_at": now or utcnow()})
        if answer == "help":
            return self._open_mentoring("help")
        if answer == "not_yet" and self.answer_30 == "not_yet" and self.answer_90 == "not_yet":
            return self._open_mentoring("not_yet_twice")
        return None

    def _open_mentoring(self, reason: str) -> Task | None:
        """Open this attendee's mentoring task (one per enrollment), in their village when it is known."""
        person = Person.for_phone(self.phone)
        village = person.village if person else None
        return Task.open("mentoring", self.phone, village, reason, mentoring_source(self.id))

    @property
    def name(self) -> str:
        """The person's name when known, else '-'."""
        person = Person.for_phone(self.phone)
        return (person.name if person else None) or "-"
