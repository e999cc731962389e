"""A resolved case keeps its story, notes and numbers RETENTION_DAYS (DESIGN "Safety and data protection"), then
only its figures: the sweep finds cases past that day and fires the job that forgets their details."""

from __future__ import annotations

import datetime as dt
import logging

from models.base import utcnow
from models.data_rights import forget_past_retention, past_retention
from models.jobs import JobSpec, job_path, with_database
from models.settings import SETTINGS

log = logging.getLogger(__name__)

RETENTION_JOB_ID = "case-retention"
"""One job forgets every case due (stable: the sweep's next look does not queue a second while one waits)."""


@with_database
def forget_expired_cases() -> int:
    """Job: resolved cases past RETENTION_DAYS lose their story, notes and numbers; return how many."""
    forgotten = forget_past_retention(utcnow(), SETTINGS.retention_days)
    if forgotten:
        log.info(
            "retention: %s resolved cases older than %s days kept only their figures",
            forgotten,
            SETTINGS.retention_days,
        )
    return forgotten


def due_forgetting(now: dt.datetime) -> list[JobSpec]:
    """Sweep: the retention job, when some resolved case is past RETENTION_DAYS and still holds its details."""
    if not past_retention(now, SETTINGS.retention_days).exists():
        return []
    return [JobSpec(job_path(forget_expired_cases), (), RETENTION_JOB_ID)]
