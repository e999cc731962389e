"""The check-in question, 1, 3, 6 and 12 months after a return: replying 1 (fine), 2 (needs help) or 3 (trainings).

The step's job starts an SMS conversation on CHECKIN_ROOT keyed by the step (`checkin-<step id>`); the reply ends
it here, once. "Needs help" opens a mentoring task for the village's organisers and cadres; "trainings" sends the
upcoming trainings. No answer is fine: the conversation simply runs out.
"""

from __future__ import annotations

import logging

from menus.feature import Feature
from menus.features.returnees import notices
from menus.screens import End, Menu, Option
from menus.turn import FlowTurn
from models import database
from models.returnee import ReturneeStep, open_mentoring

log = logging.getLogger(__name__)

CHECKIN_ROOT = "checkin"
"""Where a check-in conversation starts (started by the job, not by a keyword)."""

STARTED_BY_PREFIX = "checkin-"

THANKS = {
    "fine": "returnee.checkin.thanks",
    "help": "returnee.checkin.thanks_help",
    "training": "returnee.checkin.thanks_training",
}


def conversation_key(step_id: int) -> str:
    """What the check-in conversation is started by (the engine's session key is `sms:` and this)."""
    return f"{STARTED_BY_PREFIX}{step_id}"


def _asked(turn: FlowTurn) -> ReturneeStep | None:
    key = turn.ctx.session_key.removeprefix("sms:")
    raw = key.removeprefix(STARTED_BY_PREFIX)
    if not key.startswith(STARTED_BY_PREFIX) or not raw.isdigit():
        return None
    step = ReturneeStep.get_or_none(ReturneeStep.id == int(raw))
    return step if step is not None and step.returnee.phone == turn.phone else None


def record_answer(turn: FlowTurn) -> str | None:
    """Keep the answer once; "needs help" opens a mentoring task, "trainings" sends the upcoming ones."""
    step = _asked(turn)
    answer = turn.answers.get("checkin_answer", "")
    if step is None or answer not in THANKS:
        log.error("check-in answer outside a check-in conversation")
        return "returnee.checkin.expired"
    with database.atomic():
        if not step.record_answer(answer):
            return THANKS[answer]
        returnee = step.returnee
        if answer == "help":
            task = open_mentoring(returnee.phone, returnee.village, "checkin_help", f"checkin:{step.id}")
            if task is not None:
                for outgoing in notices.mentoring_opened(returnee, task, "checkin"):
                    turn.queued(outgoing)
        elif answer == "training":
            person = turn.person
            if person is not None:
                turn.queued(notices.trainings_for(person, notices.NEWS_PURPOSE))
    log.info("check-in %s answered: %s", step.id, answer)
    return THANKS[answer]


FEATURE = Feature(
    name="returnee_checkins",
    roots=(CHECKIN_ROOT,),
    patient_roots=(CHECKIN_ROOT,),
    screens=(
        Menu(
            CHECKIN_ROOT,
            "returnee.checkin.question",
            store="checkin_answer",
            options=(
                Option("returnee.checkin.fine", "checkin.done", value="fine"),
                Option("returnee.checkin.help", "checkin.done", value="help"),
                Option("returnee.checkin.training", "checkin.done", value="training"),
            ),
        ),
        End(
            "checkin.done",
            "returnee.checkin.thanks",
            action="record_checkin",
            other_texts=(
                "returnee.checkin.thanks_help",
                "returnee.checkin.thanks_training",
                "returnee.checkin.expired",
            ),
        ),
    ),
    actions={"record_checkin": record_answer},
)
"""The check-in answer."""
