"""Case escalation: a case nobody has taken in time is told again, wider each step, each step once.

Every step is a job scheduled for the case's `next_escalation_at` (the due row): the report that opens the
case enqueues step 1 after its transaction commits, each step enqueues the next, and the sweep fires a due
step whose job Redis lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable

from menus.features.cases import notices
from menus.turn import Lookups
from models import Case, case_alerts, database, utcnow
from models.case_terms import UNACKNOWLEDGED
from models.jobs import DEFAULT_QUEUE, JobSpec, enqueue_after_commit, job_path, with_database

log = logging.getLogger(__name__)

LAST_LEVEL = 2
"""Level 1 re-alerts organisers and coordinators; level 2 tells the officials; nothing follows."""

EARLY_GRACE = 3.0
"""Seconds a step may start before it is due and still run (waiting them out): a worker's clock a little apart from
the scheduler's. Earlier, it does nothing, and the sweep fires it once due (its job is done by then, not live)."""


def escalation_job_id(case_id: int, level: int) -> str:
    """The RQ job id of one escalation step (stable, so the job and the sweep's copy collapse into one)."""
    return f"case-{case_id}-escalate-{level}"


@with_database
def escalate(case_id: int, level: int) -> str:
    """Escalate a still unacknowledged case to `level` once it is due; then schedule the next level.

    Idempotent: the claim on the case row lets one run through per level; an acknowledged, referred or
    resolved case, a step already taken, or a step not yet due (the sweep fires it then) does nothing. A step that
    starts a moment early (at most EARLY_GRACE seconds) waits until it is due and runs: it does not schedule
    itself again.
    """
    case = Case.get_or_none(Case.id == case_id)
    if case is None:
        log.warning("escalation job for unknown case %s", case_id)
        return "missing"
    if case.status not in UNACKNOWLEDGED or case.escalation_level >= level:
        log.info(
            "case %s is %s at escalation level %s: no level %s",
            case.display_code,
            case.status,
            case.escalation_level,
            level,
        )
        return "skipped"
    early = (case.next_escalation_at - utcnow()).total_seconds() if case.next_escalation_at else None
    if early is None or early > EARLY_GRACE:
        log.info("case %s: escalation level %s is not due yet", case.display_code, level)
        return "not due"
    if early > 0:
        time.sleep(early)
    with database.atomic():
        if not case_alerts.claim_escalation(case, level):
            return "skipped"
        written = notices.escalation(case, level, Lookups())
    following = (
        [escalation_spec(case.id, level + 1, case.next_escalation_at)]
        if level < LAST_LEVEL and case.next_escalation_at is not None
        else []
    )
    enqueue_after_commit([*written, *following])
    log.info("case %s escalated to level %s (%s SMS)", case.display_code, level, len(written))
    return "escalated"


def escalation_spec(case_id: int, level: int, at: dt.datetime | None = None) -> JobSpec:
    """The job that escalates a case to `level`, at `at` (naive UTC; None means now), rounded up to a whole second:
    RQ drops the fraction, which would start the job before the step is due."""
    if at is not None and at.microsecond:
        at = at.replace(microsecond=0) + dt.timedelta(seconds=1)
    return JobSpec(job_path(escalate), (case_id, level), escalation_job_id(case_id, level), DEFAULT_QUEUE, at)


def due_escalations(now: dt.datetime) -> Iterable[JobSpec]:
    """Sweep: each due escalation step (the sweep enqueues those Redis does not hold)."""
    return [
        escalation_spec(case.id, case.escalation_level + 1)
        for case in case_alerts.due_escalations(now)
        if case.escalation_level < LAST_LEVEL
    ]
