"""Dropped report sessions: the job that opens their incomplete case, and the sweep entry that fires it."""
from __future__ import annotations

import datetime as dt
import logging

from models import database
from models.report_draft import ReportDraft
from workers.context import with_database
from workers.queues import JobSpec, enqueue_missing
from workers.sms_jobs import enqueue_after_commit

log = logging.getLogger(__name__)


def open_abandoned_spec(draft_id: int, session_key: str) -> JobSpec:
    """The job that opens the incomplete case of one dropped session (once: the draft is taken)."""
    return JobSpec("workers.report_jobs.open_abandoned_report", (session_key,), f"report-draft-{draft_id}")


@with_database
def open_abandoned_report(session_key: str) -> int:
    """Open the incomplete case of a silent session, send its alerts, schedule its escalation; return the count."""
    from menus.features.cases.drafts import open_abandoned

    with database.atomic():
        outgoing = open_abandoned(session_key)
    enqueue_after_commit(outgoing)
    return len(outgoing)


def fire_silent_reports(now: dt.datetime) -> int:
    """Sweep entry: report sessions silent for five minutes become incomplete cases."""
    return enqueue_missing(open_abandoned_spec(d.id, d.session_key) for d in ReportDraft.silent(now))
