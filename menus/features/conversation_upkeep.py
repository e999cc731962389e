"""An SMS conversation's answers (a name, a story typed into a report that was never finished) are kept while it
is live, and deleted a day after its last answer (or once its own lifetime is over): the sweep fires the job."""

from __future__ import annotations

import datetime as dt
import logging

from menus.feature import Feature, Sweep
from models.base import utcnow
from models.conversation import Conversation
from models.jobs import JobSpec, job_path, with_database

log = logging.getLogger(__name__)

FORGET_JOB_ID = "forget-ended-conversations"
"""One job forgets every ended conversation (stable: a waiting one is not queued twice)."""


@with_database
def forget_ended_conversations() -> int:
    """Job: delete the answers of conversations that are over; return how many."""
    forgotten = Conversation.forget_ended(utcnow())
    if forgotten:
        log.info("deleted the answers of %s ended SMS conversations", forgotten)
    return forgotten


def due_forgetting(now: dt.datetime) -> list[JobSpec]:
    """Sweep: the job, when some ended conversation still holds answers."""
    if not Conversation.select().where(Conversation.ended(now)).exists():
        return []
    return [JobSpec(job_path(forget_ended_conversations), (), FORGET_JOB_ID)]


FEATURE = Feature(
    name="conversation_upkeep",
    jobs=(forget_ended_conversations,),
    sweeps=(Sweep("ended conversations", due_forgetting),),
)
"""Forgetting the answers of SMS conversations that are over."""
