"""A return's scheduled steps: the visit's announcement, its reminder (7 days) and the coordinators' turn (14 days)
while nobody took it, and the check-ins 1, 3, 6 and 12 months after the return at 09:00.

Every step is a due row (`models.returnee.ReturneeStep`) written when the person became purna; the sweep enqueues
each due step whose job Redis does not hold (lost, or never enqueued), and the job's claim lets one run through, so
nothing is sent twice. A check-in does not ask someone in another conversation (a report in progress): the step
is made due again CHECKIN_BUSY_RETRY later. No one who is no longer purna is asked.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from menus.features.returnees import notices
from menus.features.returnees.checkins import CHECKIN_ROOT, conversation_key
from models import Conversation, database, utcnow
from models.jobs import DEFAULT_QUEUE, AfterCommit, JobSpec, enqueue_after_commit, job_path, with_database
from models.phones import mask
from models.returnee import Returnee, ReturneeStep
from models.settings import quiet_hours_end

log = logging.getLogger(__name__)

CHECKIN_ANSWER_WAIT = dt.timedelta(days=14)
"""How long a check-in question waits for its 1/2/3 answer (other keywords work meanwhile)."""

CHECKIN_BUSY_RETRY = dt.timedelta(minutes=15)
"""How long a check-in waits before it looks again at someone who was in another conversation."""


def step_spec(step: ReturneeStep) -> JobSpec:
    """The job that runs a step at its due time."""
    return JobSpec(
        job_path(run_step), (step.id,), f"returnee-step-{step.id}-{step.due_at:%Y%m%d%H%M}", DEFAULT_QUEUE, step.due_at
    )


@with_database
def run_step(step_id: int) -> str:
    """Run a due step once."""
    step = ReturneeStep.get_or_none(ReturneeStep.id == step_id)
    if step is None:
        log.warning("returnee step job for unknown step %s", step_id)
        return "missing"
    if step.done_at is not None:
        return "skipped"
    if step.due_at > utcnow():
        return "not due"
    with database.atomic():
        if not step.claim():
            return "skipped"
        returnee = step.returnee
        if step.kind.startswith("checkin"):
            written, outcome = _checkin(step, returnee)
        else:
            written, outcome = _visit_step(step, returnee), "done"
    enqueue_after_commit(written)
    log.info("returnee %s: %s %s (%s SMS)", returnee.id, step.kind, outcome, len(written))
    return outcome


def _visit_step(step: ReturneeStep, returnee: Returnee) -> list[AfterCommit]:
    """The announcement, the reminder and the escalation of a visit, each only while nobody took it."""
    task = returnee.task()
    if task is None or task.status != "open":
        return []
    if step.kind == "announce":
        return list(notices.visit_opened(returnee, task))
    if step.kind == "remind":
        return list(notices.visit_reminder(returnee, task))
    return list(notices.visit_escalation(returnee, task))


def _checkin(step: ReturneeStep, returnee: Returnee) -> tuple[list[AfterCommit], str]:
    """Ask the check-in question and wait for its answer; later if they are in another conversation."""
    person = returnee.person()
    if person is None or person.status != "purna" or not person.is_registered:
        return [], "not purna"
    if Conversation.open_for(returnee.phone):
        later = utcnow() + CHECKIN_BUSY_RETRY
        step.postpone(quiet_hours_end(later) or later)
        log.info("check-in for %s waits: in another conversation", mask(returnee.phone))
        return [step_spec(step)], "waiting"
    question = notices.checkin_question(returnee.phone)
    if question.refused:
        return [question], "refused"
    Conversation.for_phone(returnee.phone).start(CHECKIN_ROOT, conversation_key(step.id), lasts=CHECKIN_ANSWER_WAIT)
    return [question], "asked"


def due_steps(now: dt.datetime) -> Iterable[JobSpec]:
    """Sweep: each due step (the sweep enqueues those Redis does not hold)."""
    return [step_spec(step) for step in ReturneeStep.due(now)]
