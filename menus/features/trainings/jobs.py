"""A training's scheduled steps: the reminder the day before and the follow-ups 30 and 90 days after.

Every step is an RQ job scheduled for the step's `due_at` (the due row) when the training is added or
moved; the sweep fires a due step whose job Redis lost (`due_steps`). The step row's claim lets one
run through, so the job, the sweep's copy and a retry send each message once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from menus.features.trainings import notices
from menus.features.trainings.followup import FOLLOWUP_ROOT, conversation_key
from models import Conversation, TrainingStep, database, utcnow
from models.jobs import DEFAULT_QUEUE, JobSpec, enqueue_after_commit, job_path, with_database
from models.message import Outgoing
from models.training import Training
from models.training_terms import followup_days

log = logging.getLogger(__name__)

FOLLOWUP_ANSWER_WAIT = dt.timedelta(days=14)
"""How long a follow-up question waits for its 1/2/3 answer (other keywords work meanwhile)."""


def step_job_id(step: TrainingStep) -> str:
    """The RQ job id of one step at its due time (a moved training's step gets a new job; the old one finds
    it not due and does nothing)."""
    return f"training-step-{step.id}-{step.due_at:%Y%m%d%H%M}"


def step_spec(step: TrainingStep) -> JobSpec:
    """The job that runs a step at its due time."""
    return JobSpec(job_path(run_step), (step.id,), step_job_id(step), DEFAULT_QUEUE, step.due_at)


def training_specs(training: Training) -> list[JobSpec]:
    """The jobs of every step of a training not done yet (after it is added or moved)."""
    return [
        step_spec(step)
        for step in TrainingStep.select().where((TrainingStep.training == training.id) & TrainingStep.done_at.is_null())
    ]


@with_database
def run_step(step_id: int) -> str:
    """Run a due step once: the reminder to everyone signed up, a follow-up question to every attendee."""
    step = TrainingStep.get_or_none(TrainingStep.id == step_id)
    if step is None:
        log.warning("training step job for unknown step %s", step_id)
        return "missing"
    training = step.training
    if training.status == "cancelled" or step.done_at is not None:
        return "skipped"
    if step.due_at > utcnow():
        log.info("training %s: %s not due yet", training.code, step.kind)
        return "not due"
    with database.atomic():
        if not step.claim():
            return "skipped"
        written = _reminder(training) if step.kind == "reminder" else _followup(training, followup_days(step.kind))
    enqueue_after_commit(written)
    log.info("training %s: %s sent to %s people", training.code, step.kind, len(written))
    return "done"


def _reminder(training: Training) -> list[Outgoing]:
    if training.status != "planned" or training.starts_at <= utcnow():
        log.info("training %s has started or is no longer planned: its reminder is dropped", training.code)
        return []
    return notices.to_participants(
        training, list(training.enrollments(("signed_up",))), "training.sms.reminder", "reminder"
    )


def _followup(training: Training, days: int) -> list[Outgoing]:
    attendees = list(training.enrollments(("attended",)))
    written = notices.to_participants(training, attendees, f"training.sms.followup{days}", "followup")
    now = utcnow()
    for enrollment, outgoing in zip(attendees, written):
        if outgoing.refused:
            continue
        enrollment.ask(days, now)
        Conversation.for_phone(enrollment.phone).start(
            FOLLOWUP_ROOT, conversation_key(enrollment.id, days), lasts=FOLLOWUP_ANSWER_WAIT
        )
    return written


def due_steps(now: dt.datetime) -> Iterable[JobSpec]:
    """Sweep: each due step (the sweep enqueues those Redis does not hold: lost, or never enqueued)."""
    return [step_spec(step) for step in TrainingStep.due(now)]
