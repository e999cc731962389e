"""Tasks for staff about one person: mentoring (a follow-up answered "needs help") and, later, returnee visits.

A task is opened once per (kind, source) by whatever calls for it, taken by one staff member (`AMBIL <id>` or the
console), and closed by its holder or a coordinator with an outcome (`BERES <id> <note>`). The outcome is someone's
words about a person, so it is stored encrypted like a case's notes. Who may see and take a task is decided here
(`Task.visible_to`): organisers and coordinators every task, a cadre those of their own village.
"""

from __future__ import annotations

import datetime as dt

import peewee

from models.base import BaseModel, utcnow
from models.crypto import EncryptedTextField
from models.staff import Staff

KINDS = ("mentoring", "visit")
"""What a task asks for: help applying a training (mentoring), or a visit to a returnee."""

STATUSES = ("open", "taken", "done")

TASK_ROLES = ("organizer", "coordinator", "cadre")
"""Staff roles that see, take and close tasks (AMBIL / BERES, the console's task list)."""

VILLAGE_ROLES = ("cadre",)
"""Task roles that see only the tasks of their own village (a cadre without a village sees none)."""

CLOSING_ROLES = ("coordinator",)
"""Roles that may close a task someone else holds (or nobody holds yet)."""

OUTCOME_MAX = 500
"""The longest outcome note kept (an SMS note is far shorter; the console's is cut here)."""


class TaskError(ValueError):
    """A task operation that is not allowed; `reason` says why (a feature turns it into a text), `holder` is the
    phone of whoever holds the task when that is the reason."""

    def __init__(self, reason: str, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.reason, self.holder = reason, holder


class Task(BaseModel):
    """One piece of staff work about one person: open -> taken (by its holder) -> done (with an outcome)."""

    kind = peewee.CharField(max_length=10)
    phone = peewee.CharField(max_length=20, index=True)
    """The person the task is about (shown to staff only)."""
    village = peewee.CharField(max_length=30, null=True, index=True)
    reason = peewee.CharField(max_length=16)
    """Why it was opened: 'help', 'not_yet_twice' (training follow-ups); 'returnee', 'checkin_help'… (visits)."""
    source = peewee.CharField(max_length=40)
    """What opened it, e.g. 'enrollment:12': unique with the kind, so opening twice opens one task."""
    status = peewee.CharField(max_length=10, default="open", index=True)
    holder = peewee.CharField(max_length=20, null=True, index=True)
    """The staff phone that took it."""
    taken_at = peewee.DateTimeField(null=True)
    done_at = peewee.DateTimeField(null=True)
    outcome = EncryptedTextField(null=True)
    """The closing note (encrypted at rest)."""
    created_at = peewee.DateTimeField(default=utcnow)
    reminded_at = peewee.DateTimeField(null=True)
    escalated_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("kind", "source"), True),)

    @classmethod
    def open(cls, kind: str, phone: str, village: str | None, reason: str, source: str) -> Task | None:
        """Open the task for this (kind, source) once; None if it exists already (a replay opens nothing)."""
        if kind not in KINDS:
            raise ValueError(f"unknown task kind {kind!r}")
        task, created = cls.get_or_create(
            kind=kind,
            source=source,
            defaults={"phone": phone, "village": village or None, "reason": reason, "status": "open"},
        )
        return task if created else None

    @classmethod
    def visible_to(cls, staff: Staff) -> peewee.ModelSelect[Task]:
        """The tasks this staff member may see and take: all for organisers and coordinators, their village's for a
        cadre, none for anyone else (an official, an inactive member)."""
        query = cls.select()
        if not staff.active or staff.role not in TASK_ROLES:
            return query.where(cls.id.is_null())
        if staff.role in VILLAGE_ROLES:
            return query.where(cls.village == staff.village) if staff.village else query.where(cls.id.is_null())
        return query

    @classmethod
    def find_for(cls, staff: Staff, task_id: int) -> Task:
        """The task with this id if this staff member may see it; TaskError 'unknown' otherwise (the same answer
        for a task that does not exist and one out of their scope)."""
        task = cls.visible_to(staff).where(cls.id == task_id).first()
        if task is None:
            raise TaskError("unknown", f"no task {task_id} for {staff.phone}")
        return task

    @classmethod
    def listed(cls, staff: Staff, view: str, kind: str | None = None) -> peewee.ModelSelect[Task]:
        """A staff member's list: 'open' (nobody holds them, oldest first), 'mine' (taken by them, oldest first) or
        'done' (newest first), of one kind or all."""
        query = cls.visible_to(staff)
        if kind:
            query = query.where(cls.kind == kind)
        if view == "open":
            return query.where(cls.status == "open").order_by(cls.created_at, cls.id)
        if view == "mine":
            return query.where((cls.status == "taken") & (cls.holder == staff.phone)).order_by(cls.taken_at, cls.id)
        if view == "done":
            return query.where(cls.status == "done").order_by(cls.done_at.desc(), cls.id.desc())
        raise ValueError(f"unknown task list {view!r}")

    def take(self, staff: Staff, now: dt.datetime | None = None) -> bool:
        """Give the task to `staff`; True if they took it now, False if they held it already. TaskError 'held'
        (with the holder) when someone else took it first, 'done' when it is closed, 'not_allowed' when the role
        takes no tasks. Two takers at once: one conditional UPDATE wins."""
        _require_task_role(staff)
        now = now or utcnow()
        won = (
            Task.update(status="taken", holder=staff.phone, taken_at=now)
            .where((Task.id == self.id) & (Task.status == "open"))
            .execute()
        )
        if won:
            self.status, self.holder, self.taken_at = "taken", staff.phone, now
            return True
        current = Task.get_by_id(self.id)
        self.status, self.holder, self.taken_at = current.status, current.holder, current.taken_at
        if current.status == "done":
            raise TaskError("done", f"task {self.id} is closed", holder=current.holder)
        if current.holder == staff.phone:
            return False
        raise TaskError("held", f"task {self.id} is held by {current.holder}", holder=current.holder)

    def close(self, staff: Staff, outcome: str, now: dt.datetime | None = None) -> None:
        """Close the task with what came of it. Only its holder, or a coordinator (who becomes the holder of a task
        nobody took); the outcome is required. TaskError 'note_empty', 'done', 'not_holder' or 'not_allowed'."""
        _require_task_role(staff)
        outcome = " ".join(outcome.split())[:OUTCOME_MAX]
        if not outcome:
            raise TaskError("note_empty", "closing a task needs a note")
        if self.status == "done":
            raise TaskError("done", f"task {self.id} is closed", holder=self.holder)
        if self.holder != staff.phone and staff.role not in CLOSING_ROLES:
            raise TaskError("not_holder", f"task {self.id} is not held by {staff.phone}", holder=self.holder)
        now = now or utcnow()
        holder = self.holder or staff.phone
        taken_at = self.taken_at or now
        closed = (
            Task.update(status="done", holder=holder, taken_at=taken_at, done_at=now, outcome=outcome)
            .where((Task.id == self.id) & (Task.status != "done"))
            .execute()
        )
        if not closed:
            raise TaskError("done", f"task {self.id} is closed", holder=self.holder)
        self.status, self.holder, self.taken_at, self.done_at, self.outcome = "done", holder, taken_at, now, outcome


def _require_task_role(staff: Staff) -> None:
    if not staff.active or staff.role not in TASK_ROLES:
        raise TaskError("not_allowed", f"a {staff.role} takes no tasks")


def mentoring_source(enrollment_id: int) -> str:
    """The source of a mentoring task opened by a training follow-up answer."""
    return f"enrollment:{enrollment_id}"
