"""What the console's training pages show: the calendar (upcoming and past, seats, waiting lists), one training's
roster with its waiting list and walk-ins, attendance, the follow-up answers and the training's measures.

Numbers are shown as `models.scope.shown_number` allows (whole to coordinators, masked to organisers); the
attendance form names people by their enrollment's id, never by their number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models import utcnow
from models.person import Person
from models.scope import shown_number
from models.settings import to_local
from models.staff import Staff
from models.training import Enrollment, Training
from models.training_terms import SEATED
from models.walk_in import FORGOTTEN_PREFIX, WalkIn

PAST_SHOWN = 50
"""Past and cancelled trainings the list shows (the latest)."""

MEASURES = ("signed_up", "waitlisted", "attended", "applied", "needs_help")
"""A training's measures (`Training.measures`), as `export trainings` names them."""


def local_time(when: dt.datetime) -> str:
    """A stored UTC time as local 'YYYY-MM-DD HH:MM'."""
    return to_local(when).strftime("%Y-%m-%d %H:%M")


def form_time(when: dt.datetime) -> str:
    """A stored UTC time as a `datetime-local` field's value (local time)."""
    return to_local(when).strftime("%Y-%m-%dT%H:%M")


@dataclass
class TrainingRow:
    """One training in the calendar."""

    code: str
    title: str
    kind: str
    starts: str
    place: str
    capacity: int
    status: str
    signed_up: int
    waitlisted: int
    attended: int


def calendar(now: dt.datetime | None = None) -> tuple[list[TrainingRow], list[TrainingRow]]:
    """(upcoming planned trainings, soonest first; the others, latest first) with their seats and waiting lists."""
    now = now or utcnow()
    measures = Training.measures()

    def row(training: Training) -> TrainingRow:
        counts = measures.get(training.id, {})
        return TrainingRow(
            training.code,
            training.title,
            training.kind,
            local_time(training.starts_at),
            training.place,
            training.capacity,
            training.status,
            counts.get("signed_up", 0),
            counts.get("waitlisted", 0),
            counts.get("attended", 0),
        )

    upcoming = Training.upcoming(now)
    past = (
        Training.select()
        .where((Training.status != "planned") | (Training.starts_at <= now))
        .order_by(Training.starts_at.desc(), Training.code)
        .limit(PAST_SHOWN)
    )
    return [row(t) for t in upcoming], [row(t) for t in past]


@dataclass
class RosterRow:
    """One person on a training's roster."""

    id: int
    name: str
    phone: str
    status: str
    walk_in: str
    """"" (signed up), or a walk-in's consent: waiting, yes, no, expired."""
    answer_30: str
    answer_90: str


def roster(training: Training, staff: Staff) -> list[RosterRow]:
    """Everyone signed up, waiting, attended or absent, first come first (cancelled sign-ups are left out)."""
    enrollments = list(training.enrollments((*SEATED, "waitlisted")))
    walk_ins = WalkIn.of_training(training)
    names = {
        p.phone: p.name
        for p in Person.select(Person.phone, Person.name).where(Person.phone.in_([e.phone for e in enrollments]))
    }
    rows = []
    for enrollment in enrollments:
        walk_in = walk_ins.get(enrollment.id)
        forgotten = enrollment.phone.startswith(FORGOTTEN_PREFIX)
        name = (walk_in.name if walk_in is not None and walk_in.name else None) or names.get(enrollment.phone)
        rows.append(
            RosterRow(
                enrollment.id,
                name or "-",
                "" if forgotten else shown_number(staff, enrollment.phone),
                enrollment.status,
                (walk_in.answer or "waiting") if walk_in is not None else "",
                enrollment.answer_30 or "",
                enrollment.answer_90 or "",
            )
        )
    return rows


def attendance_open(training: Training, now: dt.datetime | None = None) -> bool:
    """True once the training's day has come (in local time) and it was not cancelled: names may be ticked."""
    now = now or utcnow()
    return training.status != "cancelled" and to_local(now).date() >= to_local(training.starts_at).date()


def training_page(training: Training, staff: Staff) -> dict[str, object]:
    """What the training's page shows: its facts, measures, roster (seats and waiting list) and follow-up answers."""
    rows = roster(training, staff)
    counts = Training.measures().get(training.id, {})
    return {
        "training": training,
        "starts": local_time(training.starts_at),
        "measures": [(name, counts.get(name, 0)) for name in MEASURES],
        "seated": [r for r in rows if r.status in SEATED],
        "waiting": [r for r in rows if r.status == "waitlisted"],
        "attended": [r for r in rows if r.status == "attended"],
        "editable": training.is_open(),
        "cancellable": training.status == "planned",
        "attendance_open": attendance_open(training),
    }


def enrollment_phones(training: Training, ids: list[str]) -> list[str]:
    """The numbers of this training's enrollments (holding a seat) named by these ids; unknown ids are ignored."""
    wanted = [int(i) for i in ids if i.isdigit()][:500]
    if not wanted:
        return []
    found = Enrollment.select(Enrollment.phone).where(
        (Enrollment.training == training.id) & Enrollment.id.in_(wanted) & Enrollment.status.in_(SEATED)
    )
    return [e.phone for e in found if not e.phone.startswith(FORGOTTEN_PREFIX)]
