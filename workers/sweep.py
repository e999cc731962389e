"""The periodic sweep: re-enqueue outbound messages whose job Redis lost, and free stuck sends."""
from __future__ import annotations

import datetime as dt
import logging

from models import Message, database, utcnow
from workers.context import with_database
from workers.queues import enqueue_send, job_is_live

log = logging.getLogger(__name__)

STUCK_SENDING_AFTER = dt.timedelta(minutes=10)
"""A message still `sending` this long after its last change lost its worker mid-send."""


@with_database
def sweep() -> dict[str, int]:
    """Run the sweep once; return counts of what it did."""
    now = utcnow()
    with database.atomic():
        freed = (
            Message.update(status="queued", last_error="worker lost while sending", updated_at=now)
            .where((Message.status == "sending") & (Message.updated_at < now - STUCK_SENDING_AFTER))
            .execute()
        )
    if freed:
        log.warning("sweep: %s messages were stuck in sending; queued again", freed)
    requeued = 0
    for message in Message.select().where((Message.direction == "out") & (Message.status == "queued")):
        if job_is_live(message.job_id()):
            continue
        due = message.next_attempt_at
        delay = max(0.0, (due - now).total_seconds()) if due else 0.0
        if enqueue_send(message.id, message.attempts, delay):
            requeued += 1
    if requeued:
        log.info("sweep: re-enqueued %s messages whose job was missing", requeued)
    return {"requeued": requeued, "freed": freed}
