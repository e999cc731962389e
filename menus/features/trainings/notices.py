"""Every SMS about a training, written through the sending policy in each recipient's language.

Who is told is decided by `models.training`; this module only turns those decisions into catalog texts.
Texts that go to many people carry no name, so the send job hands them to the provider in batches.
"""

from __future__ import annotations

from menus.notify import language_for, notify
from menus.turn import Lookups
from models.message import Outgoing
from models.staff import Staff
from models.task import Task
from models.training import Enrollment, Training

TRAINING_PURPOSE = "training_news"
"""Promotions from the waiting list, cancellations and moves: asked for, and not urgent (quiet hours wait)."""


def training_params(training: Training) -> dict[str, str]:
    """What every training text may show: code, title, local date and time, place."""
    return {"code": training.code, "title": training.title, "date": training.starts_label, "place": training.place}


def confirmation(training: Training, phone: str, outcome: str, lookups: Lookups) -> Outgoing:
    """The SMS that confirms a USSD sign-up (seat or waiting list) with code, title, date and place."""
    key = "training.sms.confirmed" if outcome == "signed_up" else "training.sms.waitlisted"
    return notify(phone, key, training_params(training), "confirmation", lookups=lookups)


def promoted(training: Training, enrollment: Enrollment, lookups: Lookups) -> Outgoing:
    """A seat freed up for the first on the waiting list."""
    return notify(
        enrollment.phone, "training.sms.promoted", training_params(training), TRAINING_PURPOSE, lookups=lookups
    )


def to_participants(training: Training, enrollments: list[Enrollment], key: str, purpose: str) -> list[Outgoing]:
    """One text to each of these participants, in their language (a cancellation, a move, the reminder…)."""
    lookups = Lookups()
    params = training_params(training)
    return [notify(e.phone, key, params, purpose, lookups=lookups) for e in enrollments]


def mentoring_alert(training: Training, enrollment: Enrollment, task: Task) -> list[Outgoing]:
    """Tell every organiser that an attendee needs help applying the training (name and number: they call), with the
    task's number to take it by (`AMBIL <id>`)."""
    lookups = Lookups()
    written = []
    for member in Staff.active_in_roles(("organizer",)):
        lookups.remember_staff(member)
        language = language_for(member.phone, lookups)
        written.append(
            notify(
                member.phone,
                f"training.mentoring.task.{task.reason}",
                {
                    **training_params(training),
                    "name": enrollment.name,
                    "phone": enrollment.phone,
                    "task_id": str(task.id),
                },
                "alert",
                language=language,
                lookups=lookups,
            )
        )
    return written


def short_number(phone: str) -> str:
    """A number as a staff reply lists it: its last four digits (what was typed, if it is not a number)."""
    return "..." + phone[-4:] if phone.startswith("+") else phone
