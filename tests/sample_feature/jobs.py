"""The sample feature's job (text the reminder at its time, once) and its sweep (fire those whose job was lost)."""

from __future__ import annotations

import datetime as dt
import logging

from menus.notify import notify
from models import database, utcnow
from models.jobs import JobSpec, enqueue_after_commit, job_path, with_database
from tests.sample_feature.reminder import Reminder

log = logging.getLogger(__name__)


@with_database
def send_reminder(reminder_id: int) -> str:
    """Text the reminder once it is due (idempotent: the claim lets one run through)."""
    reminder = Reminder.get_or_none(Reminder.id == reminder_id)
    if reminder is None or reminder.sent_at is not None:
        return "skipped"
    if reminder.due_at > utcnow():
        return "not due"
    with database.atomic():
        if not reminder.claim():
            return "skipped"
        written = notify(reminder.phone, "sample.sms.reminder", {"what": reminder.what}, "sample_reminder")
    enqueue_after_commit([written])
    return "sent"


def reminder_spec(reminder: Reminder) -> JobSpec:
    """The job that sends one reminder at its due time."""
    return JobSpec(job_path(send_reminder), (reminder.id,), f"sample-reminder-{reminder.id}", at=reminder.due_at)


def due_reminders(now: dt.datetime) -> list[JobSpec]:
    """Sweep: every due reminder not sent yet."""
    return [reminder_spec(reminder) for reminder in Reminder.due(now)]
