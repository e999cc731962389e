"""The organisers' changes to the training calendar: add, change (move, seats, title, place), cancel, attendance
and walk-ins.

One place for what `flask training …` and the console's training pages do, so both make the same domain change and
tell the same participants with the same SMS. Each function runs its own transaction and returns what to enqueue
once it has committed (`models.jobs.enqueue_after_commit`); a refused change raises `TrainingError` and changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from menus.features.trainings import notices, walk_ins
from menus.features.trainings.jobs import training_specs
from menus.turn import Lookups
from models import database
from models.jobs import AfterCommit
from models.message import Outgoing
from models.settings import to_utc
from models.training import Enrollment, Training
from models.training_terms import STILL_COMING, TrainingError
from models.walk_in import WalkIn

START_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")
"""How a start is typed: `YYYY-MM-DD HH:MM` (the CLI) or a browser's `datetime-local` value, in local time."""


def parse_start(text: str) -> dt.datetime:
    """A start typed in local time, as naive UTC; TrainingError (field `starts`) when it is not one."""
    for form in START_FORMATS:
        try:
            return to_utc(dt.datetime.strptime(text.strip(), form))
        except ValueError:
            continue
    raise TrainingError("training.invalid", f"{text!r} is not YYYY-MM-DD HH:MM", "starts")


def add(
    code: str, title: str, kind: str, starts_at: dt.datetime, place: str, capacity: int
) -> tuple[Training, list[AfterCommit]]:
    """Add a planned training; (the training, its steps' jobs to enqueue after the commit)."""
    with database.atomic():
        training = Training.add(code, title, kind, starts_at, place, capacity)
    return training, list(training_specs(training))


def cancel(training: Training) -> list[Outgoing]:
    """Cancel the training and tell everyone signed up or waiting; the SMS written (enqueue them after commit)."""
    with database.atomic():
        told = training.cancel()
        return notices.to_participants(training, told, "training.sms.cancelled", notices.TRAINING_PURPOSE)


@dataclass(frozen=True)
class Change:
    """What an organiser changes in a planned training (None: unchanged)."""

    starts_at: dt.datetime | None = None
    capacity: int | None = None
    title: str | None = None
    place: str | None = None
    kind: str | None = None


def change(training: Training, wanted: Change) -> tuple[list[Outgoing], list[AfterCommit]]:
    """Apply a change in one transaction: more seats promote the waiting list (told), a new start or place tells
    everyone still coming (`training.sms.moved`, once each), the steps move with the start. Returns (the SMS,
    everything to enqueue after the commit: the SMS and the steps' jobs)."""
    with database.atomic():
        place_changed = training.amend(wanted.title, wanted.place, wanted.kind)
        promoted = training.resize(wanted.capacity) if wanted.capacity not in (None, training.capacity) else []
        moved = wanted.starts_at is not None and wanted.starts_at != training.starts_at
        told = training.move(wanted.starts_at) if moved and wanted.starts_at is not None else []
        if place_changed and not moved:
            told = list(training.enrollments(STILL_COMING))
        written = [notices.promoted(training, e, Lookups()) for e in promoted]  # with the new date, once
        promoted_phones = {e.phone for e in promoted}
        written += notices.to_participants(
            training,
            [e for e in told if e.phone not in promoted_phones],
            "training.sms.moved",
            notices.TRAINING_PURPOSE,
        )
    return written, [*written, *training_specs(training)]


def attend(training: Training, phones: list[str]) -> tuple[list[str], list[str]]:
    """Mark these E.164 numbers attended (HADIR's effect: the training held, the other signed-up absent);
    (marked, not signed up)."""
    with database.atomic():
        return training.mark_attended(phones)


def walk_in(
    training: Training, phone: str, name: str, added_by: str
) -> tuple[Enrollment, WalkIn | None, list[Outgoing]]:
    """Register someone who came without signing up as attended (counted; the follow-ups reach them once they say
    yes) and ask their consent by SMS; (their enrollment, the walk-in or None if they had consented before, the SMS
    to enqueue after the commit)."""
    with database.atomic():
        return walk_ins.add(training, phone, name, added_by)


def told_count(written: list[Outgoing]) -> tuple[int, int]:
    """(SMS that will go, SMS the sending policy refused) of a change's messages."""
    refused = sum(1 for outgoing in written if outgoing.refused)
    return len(written) - refused, refused
