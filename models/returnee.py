"""Returnees: a person registered (or changed) to `purna` is a return home, with a visit task for their village's
organisers and cadres and a year of check-ins (1, 3, 6 and 12 months after, 09:00 local).

Every scheduled piece of it is a due row (`ReturneeStep`): the visit's announcement, its reminder after 7 days and
the coordinators' turn after 14 if nobody took it, and each check-in. A step is claimed once (the job, the sweep's
copy and a retry: one wins), so nothing is sent twice. A check-in's answer is kept on its step.
"""

from __future__ import annotations

import calendar
import datetime as dt

import peewee

from models.base import BaseModel, utcnow
from models.person import Person
from models.settings import to_local, to_utc
from models.staff import Staff
from models.task import Task

VISIT_REMIND_AFTER = dt.timedelta(days=7)
"""An untaken visit reminds its village's organisers and cadres once after this long."""

VISIT_ESCALATE_AFTER = dt.timedelta(days=14)
"""A visit still untaken this long after it opened reaches the coordinators."""

CHECKIN_MONTHS = (1, 3, 6, 12)
"""Check-ins after a return, in months."""

CHECKIN_TIME = dt.time(9, 0)
"""Local time of a check-in."""

CHECKIN_ANSWERS = ("fine", "help", "training")
"""A check-in's answers: 1 fine, 2 needs help (a mentoring task), 3 wants training (the upcoming trainings)."""

VISIT_OUTCOMES = {"1": "fine", "2": "help", "3": "training"}
"""What a visit's record (CATAT KUNJUNG … 1|2|3) says of the person."""

STEP_KINDS = ("announce", "remind", "escalate", *(f"checkin{m}" for m in CHECKIN_MONTHS))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter: 31 Jan + 1 month is 28/29 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def checkin_due(returned_at: dt.datetime, months: int) -> dt.datetime:
    """When the check-in `months` after a return goes: that local day at CHECKIN_TIME, as naive UTC."""
    day = add_months(to_local(returned_at).date(), months)
    return to_utc(dt.datetime.combine(day, CHECKIN_TIME))


class Returnee(BaseModel):
    """One return home: who, where from, when (registration or the change to purna), and its visit task."""

    phone = peewee.CharField(max_length=20, index=True)
    name = peewee.CharField(max_length=30, null=True)
    village = peewee.CharField(max_length=30, null=True)
    country = peewee.CharField(max_length=20, null=True)
    returned_at = peewee.DateTimeField(index=True)
    visit_task = peewee.IntegerField(null=True)
    """The id of the visit `Task` (models.task)."""
    created_at = peewee.DateTimeField(default=utcnow)

    @classmethod
    def note_status(
        cls, phone: str, previous: str | None, status: str | None, now: dt.datetime | None = None
    ) -> Returnee | None:
        """Call when a person registers or changes status: becoming purna (from anything else) opens a return with
        its visit task and schedules its steps; anything else does nothing (a replay finds them purna already)."""
        if status != "purna" or previous == "purna":
            return None
        person = Person.for_phone(phone)
        if person is None:
            return None
        now = now or utcnow()
        returnee = cls.create(
            phone=phone, name=person.name, village=person.village, country=person.country, returned_at=now
        )
        task = Task.open("visit", phone, person.village, "returnee", f"returnee:{returnee.id}")
        returnee.visit_task = task.id if task is not None else None
        returnee.save(only=[Returnee.visit_task])
        steps = [("announce", now), ("remind", now + VISIT_REMIND_AFTER), ("escalate", now + VISIT_ESCALATE_AFTER)]
        steps += [(f"checkin{m}", checkin_due(now, m)) for m in CHECKIN_MONTHS]
        ReturneeStep.insert_many([{"returnee": returnee.id, "kind": k, "due_at": due} for k, due in steps]).execute()
        return returnee

    def task(self) -> Task | None:
        """Its visit task."""
        return Task.get_or_none(Task.id == self.visit_task) if self.visit_task else None

    def person(self) -> Person | None:
        """The person who came back (as they are now)."""
        return Person.for_phone(self.phone)

    @classmethod
    def for_task(cls, task: Task) -> Returnee | None:
        """The return a visit task belongs to."""
        return cls.get_or_none(cls.visit_task == task.id)


class ReturneeStep(BaseModel):
    """A scheduled step of a return: the due row the sweep fires if its job is lost; a check-in keeps its answer."""

    returnee = peewee.ForeignKeyField(Returnee, backref="steps", on_delete="CASCADE")
    kind = peewee.CharField(max_length=10)
    due_at = peewee.DateTimeField(index=True)
    done_at = peewee.DateTimeField(null=True)
    answer = peewee.CharField(max_length=10, null=True)
    answered_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("returnee", "kind"), True),)

    @classmethod
    def due(cls, now: dt.datetime) -> peewee.ModelSelect[ReturneeStep]:
        """Steps due and not done."""
        return cls.select().where(cls.done_at.is_null() & (cls.due_at <= now))

    def claim(self, now: dt.datetime | None = None) -> bool:
        """Mark the step done if nobody has (one of the job, the sweep's copy and a retry wins)."""
        now = now or utcnow()
        won = (
            ReturneeStep.update(done_at=now)
            .where((ReturneeStep.id == self.id) & ReturneeStep.done_at.is_null() & (ReturneeStep.due_at <= now))
            .execute()
        )
        if won:
            self.done_at = now
        return bool(won)

    def postpone(self, until: dt.datetime) -> None:
        """Make a claimed step due again at `until` (the person was in another conversation)."""
        ReturneeStep.update(done_at=None, due_at=until).where(ReturneeStep.id == self.id).execute()
        self.done_at, self.due_at = None, until

    @property
    def months(self) -> int:
        """A check-in's months after the return (0 for the visit's steps)."""
        return int(self.kind.removeprefix("checkin")) if self.kind.startswith("checkin") else 0

    def record_answer(self, answer: str, now: dt.datetime | None = None) -> bool:
        """Keep a check-in's answer once; False if it was answered already (a replayed SMS)."""
        if answer not in CHECKIN_ANSWERS:
            raise ValueError(f"unknown check-in answer {answer!r}")
        now = now or utcnow()
        won = (
            ReturneeStep.update(answer=answer, answered_at=now)
            .where((ReturneeStep.id == self.id) & ReturneeStep.answer.is_null())
            .execute()
        )
        if won:
            self.answer, self.answered_at = answer, now
        return bool(won)


VILLAGE_TEAM_ROLES = ("organizer", "cadre")
"""Who hears of a village's visit and mentoring tasks: its organisers and cadres."""


def village_team(village: str | None) -> list[Staff]:
    """The active organisers and cadres of this village, by name; every active organiser when it has none."""
    team = Staff.select().where((Staff.active == True) & Staff.role.in_(VILLAGE_TEAM_ROLES))  # noqa: E712
    found = list(team.where(Staff.village == village).order_by(Staff.name, Staff.id)) if village else []
    return found or Staff.active_in_roles(("organizer",))


def open_mentoring(phone: str, village: str | None, reason: str, source: str) -> Task | None:
    """A mentoring task for a returnee who needs help (a visit's or a check-in's answer); None if opened already."""
    return Task.open("mentoring", phone, village, reason, source)
