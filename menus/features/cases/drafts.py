"""A dropped USSD session does not lose a report: once the problem is chosen, the answers are kept, and a
session that ends badly (AT's end-of-session notice) or goes silent for five minutes becomes a case marked
incomplete, alerted like any other. A later complete report from the same session fills that case in.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from menus.engine import Reply
from menus.feature import Feature, Sweep
from menus.features.cases import notices
from menus.features.cases.jobs import escalation_spec
from menus.features.cases.report import report_from
from menus.turn import FlowTurn, Lookups
from models import database
from models.case import Case
from models.jobs import AfterCommit, JobSpec, enqueue_after_commit, job_path, with_database
from models.phones import mask
from models.report_draft import ReportDraft

log = logging.getLogger(__name__)

REPORT_ANSWERS = ("for_whom", "category", "country", "safe", "consent", "story")
"""What a draft keeps: the report's own answers, nothing else of the session."""


def keep_answers(turn: FlowTurn, reply: Reply) -> None:
    """After a USSD step: keep the report's answers once a category is chosen (the case's opening discards them)."""
    if "category" not in turn.answers or reply.end:
        return
    kept = {key: turn.answers[key] for key in REPORT_ANSWERS if key in turn.answers}
    ReportDraft.keep(turn.ctx.session_key, turn.phone, kept)


def open_abandoned(session_key: str) -> list[AfterCommit]:
    """Turn a dropped session's draft into an incomplete case, write its alerts, and return them with the
    case's first escalation job; [] if there is no draft. Call inside a transaction; enqueue after the commit.
    """
    taken = ReportDraft.take(session_key)
    if taken is None:
        return []
    phone, answers = taken
    case, created = Case.open(report_from(phone, answers, "ussd", session_key, incomplete=True))
    if not created:
        return []
    log.info("dropped report session from %s kept as incomplete case %s", mask(phone), case.display_code)
    return [*notices.new_case(case, Lookups()), escalation_spec(case.id, 1, case.ack_due_at)]


@with_database
def open_abandoned_report(session_key: str) -> int:
    """Job: open the incomplete case of a silent session, send its alerts, schedule its escalation; the count."""
    with database.atomic():
        outgoing = open_abandoned(session_key)
    enqueue_after_commit(outgoing)
    return len(outgoing)


def open_abandoned_spec(draft_id: int, session_key: str) -> JobSpec:
    """The job that opens the incomplete case of one dropped session (once: the draft is taken)."""
    return JobSpec(job_path(open_abandoned_report), (session_key,), f"report-draft-{draft_id}")


def silent_reports(now: dt.datetime) -> Iterable[JobSpec]:
    """Sweep: report sessions silent for five minutes become incomplete cases."""
    return [open_abandoned_spec(d.id, d.session_key) for d in ReportDraft.silent(now)]


FEATURE = Feature(
    name="report_drafts",
    on_ussd_step=keep_answers,
    on_ussd_dropped=open_abandoned,
    models=(ReportDraft,),
    jobs=(open_abandoned_report,),
    sweeps=(Sweep("dropped reports", silent_reports),),
)
"""Keeping a USSD report's answers while its session runs, and the incomplete case of a dropped session."""
