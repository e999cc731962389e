"""A training's scheduled steps: the reminder the day before and the follow-ups 30 and 90 days after.

Every step is an RQ job scheduled for the step's `due_at` (the due row) when the training is added or
moved; the sweep fires a due step whose job Redis lost (`due_steps`). The step row's claim lets one
run through, so the job, the sweep's copy and a retry send each message once. A follow-up asks no one who is in
another conversation (a report in progress): the step is made due again FOLLOWUP_BUSY_RETRY later and then asks
those it has not asked yet.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from menus.features.trainings import notices
from menus.features.trainings.followup import FOLLOWUP_ROOT, conversation_key
from models import Conversation, TrainingStep, database, utcnow
from models.jobs import DEFAULT_QUEUE, AfterCommit, JobSpec, enqueue_after_commit, job_path, with_database
from models.message import Outgoing
from models.phones import mask
from models.settings import quiet_hours_end
from models.training import Enrollment, Training
from models.training_terms import followup_days
from models.walk_in import WalkIn

log = logging.getLogger(__name__)

FOLLOWUP_ANSWER_WAIT = dt.timedelta(days=14)
"""How long a follow-up question waits for its 1/2/3 answer (other keywords work meanwhile)."""

FOLLOWUP_BUSY_RETRY = dt.timedelta(minutes=15)
"""How long a follow-up waits before it looks again at a person who was in another conversation (a report in
progress): the question is a conversation of its own, and starting it would wipe theirs."""


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
    waiting: list[Enrollment] = []
    with database.atomic():
        if not step.claim():
            return "skipped"
        if step.kind == "reminder":
            written: list[AfterCommit] = list(_reminder(training))
        else:
            asked, waiting = _followup(training, followup_days(step.kind))
            written = list(asked)
            if waiting:
                step.postpone(_busy_retry_at(utcnow()))
                written.append(step_spec(step))
    enqueue_after_commit(written)
    log.info("training %s: %s sent to %s people", training.code, step.kind, len(written) - bool(waiting))
    if waiting:
        log.info(
            "training %s: %s waits for %s in another conversation (%s); next look at %s",
            training.code,
            step.kind,
            len(waiting),
            ", ".join(mask(e.phone) for e in waiting[:5]),
            step.due_at,
        )
        return "waiting"
    return "done"


def _busy_retry_at(now: dt.datetime) -> dt.datetime:
    """When a step that found someone mid-conversation looks again: soon, but never inside quiet hours (the
    question and its conversation start together)."""
    later = now + FOLLOWUP_BUSY_RETRY
    return quiet_hours_end(later) or later


def _reminder(training: Training) -> list[Outgoing]:
    if training.status != "planned" or training.starts_at <= utcnow():
        log.info("training %s has started or is no longer planned: its reminder is dropped", training.code)
        return []
    return notices.to_participants(
        training, list(training.enrollments(("signed_up",))), "training.sms.reminder", "reminder"
    )


def _followup(training: Training, days: int) -> tuple[list[Outgoing], list[Enrollment]]:
    """Ask every attendee not asked at this stage yet, except those in another conversation (a report in
    progress, a registration, another question): starting the question would wipe theirs, so they wait (returned)
    and the step looks again later. What was asked, and who waits."""
    attendees: list[Enrollment] = []
    waiting: list[Enrollment] = []
    without_consent = WalkIn.settle_before_followup(training)  # a walk-in is asked only after their yes
    for enrollment in training.enrollments(("attended",)):
        if (enrollment.asked_stage or 0) >= days or enrollment.id in without_consent:
            continue  # asked by an earlier run of this step, or a walk-in who did not consent
        (waiting if Conversation.open_for(enrollment.phone) else attendees).append(enrollment)
    written = notices.to_participants(training, attendees, f"training.sms.followup{days}", "followup")
    now = utcnow()
    for enrollment, outgoing in zip(attendees, written):
        enrollment.ask(days, now)  # decided at this stage: a question the rules refused is not tried again later
        if outgoing.refused:
            continue
        Conversation.for_phone(enrollment.phone).start(
            FOLLOWUP_ROOT, conversation_key(enrollment.id, days), lasts=FOLLOWUP_ANSWER_WAIT
        )
    return written, waiting


def due_steps(now: dt.datetime) -> Iterable[JobSpec]:
    """Sweep: each due step (the sweep enqueues those Redis does not hold: lost, or never enqueued)."""
    return [step_spec(step) for step in TrainingStep.due(now)]
