"""The follow-up question, 30 and 90 days after a training: "have you applied it?" answered by replying 1, 2 or 3.

The follow-up job starts an SMS conversation on FOLLOWUP_ROOT for each attendee, keyed by the enrollment
and the stage (`followup-<enrollment id>-<days>`); the reply "1", "2" or "3" ends it here. Other keywords
still work meanwhile (the question is a menu, not a free-text screen). "Needs help", or "not yet" at both
follow-ups, opens a mentoring task and alerts the organisers.
"""

from __future__ import annotations

import logging

from menus.feature import Feature
from menus.features.trainings import notices
from menus.screens import End, Menu, Option
from menus.turn import FlowTurn
from models import database
from models.training import Enrollment

log = logging.getLogger(__name__)

FOLLOWUP_ROOT = "followup"
"""Where a follow-up conversation starts (it is started by the job, not by a keyword)."""

STARTED_BY_PREFIX = "followup-"

THANKS = {"applied": "followup.thanks", "not_yet": "followup.thanks_not_yet", "help": "followup.thanks_help"}


def conversation_key(enrollment_id: int, stage: int) -> str:
    """What the follow-up conversation is started by (the engine's session key is `sms:` and this)."""
    return f"{STARTED_BY_PREFIX}{enrollment_id}-{stage}"


def _asked(turn: FlowTurn) -> tuple[Enrollment, int] | None:
    key = turn.ctx.session_key.removeprefix("sms:")
    if not key.startswith(STARTED_BY_PREFIX):
        return None
    try:
        enrollment_id, stage = (int(part) for part in key.removeprefix(STARTED_BY_PREFIX).split("-"))
    except ValueError:
        return None
    enrollment = Enrollment.get_or_none((Enrollment.id == enrollment_id) & (Enrollment.phone == turn.phone))
    return (enrollment, stage) if enrollment is not None else None


def record_answer(turn: FlowTurn) -> str | None:
    """Record the attendee's answer once; open a mentoring task and alert the organisers when it calls for one."""
    asked = _asked(turn)
    answer = turn.answers.get("followup_answer", "")
    if asked is None or answer not in THANKS:
        log.error("follow-up answer outside a follow-up conversation")
        return "followup.expired"
    enrollment, stage = asked
    with database.atomic():
        task = enrollment.answer(stage, answer)
        if task is not None:
            for outgoing in notices.mentoring_alert(enrollment.training, enrollment, task):
                turn.queued(outgoing)
            log.info("mentoring task %s opened for training %s (%s)", task.id, enrollment.training.code, task.reason)
    return THANKS[answer]


FEATURE = Feature(
    name="training_followup",
    roots=(FOLLOWUP_ROOT,),
    patient_roots=(FOLLOWUP_ROOT,),
    screens=(
        Menu(
            FOLLOWUP_ROOT,
            "followup.question",
            store="followup_answer",
            options=(
                Option("followup.applied", "followup.done", value="applied"),
                Option("followup.not_yet", "followup.done", value="not_yet"),
                Option("followup.help", "followup.done", value="help"),
            ),
        ),
        End(
            "followup.done",
            "followup.thanks",
            action="record_followup",
            other_texts=("followup.thanks_not_yet", "followup.thanks_help", "followup.expired"),
        ),
    ),
    actions={"record_followup": record_answer},
)
"""The follow-up answer."""
