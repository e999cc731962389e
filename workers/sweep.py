"""The periodic sweep: every kind of scheduled work is one row type with a due time and one sweep entry: the
workers' own (sends, the phone) here, the features' in their `Feature.sweeps`.

An entry finds the rows whose time has come and fires their jobs when Redis does not hold them (lost in
a restart, or never enqueued because Redis was down): what is due fires once, late rather than never.
Jobs are idempotent, so an entry firing a job that is already done costs nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from menus.feature import Sweep
from models import Message, database, utcnow
from models.jobs import with_database
from models.message import turn_job_id
from models.sending_policy import jumps_queue
from workers.context import current, settings
from workers.gateways import resends_safely
from workers.gateways.phone_status import watch_phone
from workers.gateways.phones import is_pool, phones_of
from workers.pool import watch_pool
from workers.queues import enqueue_missing, job_is_live, redis
from workers.sms_jobs import send_spec

log = logging.getLogger(__name__)

STUCK_SENDING_AFTER = dt.timedelta(minutes=10)
"""A message still `sending` this long after its last change lost its worker mid-send."""

MAY_HAVE_GONE = "interrupted while sending through Africa's Talking: it may have gone; not sent again (no double SMS)"
"""Why a message stuck in `sending` with a backend that cannot refuse a second send is `failed`, not resent."""


@dataclass(frozen=True)
class SweepEntry:
    """One kind of scheduled work: a name for the logs, and what fires its due rows (returns how many)."""

    name: str
    fire: Callable[[dt.datetime], int]


def fire_due_sends(now: dt.datetime) -> int:
    """Queue again sends whose worker died (on a backend that refuses a second send of one message; on Africa's
    Talking they may have gone: `failed` with the reason, for a human, not sent twice), then enqueue every due unsent
    message that has no live job."""
    with database.atomic():
        if resends_safely(settings()):
            freed = Message.free_stuck(now, STUCK_SENDING_AFTER)
            held = 0
        else:
            freed, held = 0, Message.fail_stuck(now, STUCK_SENDING_AFTER, MAY_HAVE_GONE)
    if freed:
        log.warning("sweep: %s messages were stuck in sending; queued again", freed)
    if held:
        log.error("sweep: %s messages were stuck in sending through Africa's Talking: failed, not resent", held)
    waiting = [
        m
        for m in Message.due_unsent(now)  # a message deferred by the throttle has its turn's job
        if not (m.next_attempt_at and job_is_live(turn_job_id(m.id, m.attempts, m.next_attempt_at)))
    ]
    return enqueue_missing(send_spec(m.id, m.attempts, urgent=jumps_queue(m.purpose)) for m in waiting)


def watch_the_phone(now: dt.datetime) -> int:
    """With SMS_BACKEND=smsgate, log a silent phone once (and its return once) even when nobody asks /healthz; in a
    pool, take a newly silent phone out of rotation (announced, its waiting messages moved)."""
    config = settings()
    if config.get("SMS_BACKEND") == "smsgate":
        if is_pool(phones_of(config)):
            watch_pool(config, redis(), now)
        else:
            watch_phone(redis(), now)
    return 0


WORKER_SWEEPS: tuple[SweepEntry, ...] = (
    SweepEntry("sends", fire_due_sends),
    SweepEntry("phone", watch_the_phone),
)
"""The workers' own kinds of scheduled work; the features' follow (`Feature.sweeps`)."""


def feature_entry(sweep: Sweep) -> SweepEntry:
    """A feature's sweep as an entry: enqueue the jobs of its due rows that Redis does not hold."""
    return SweepEntry(sweep.name, lambda now: enqueue_missing(sweep.due(now)))


@with_database
def sweep() -> dict[str, int]:
    """Run every sweep entry once; return what each fired. One entry failing does not stop the others."""
    now = utcnow()
    fired: dict[str, int] = {}
    for entry in (*WORKER_SWEEPS, *(feature_entry(sweep) for sweep in current().sweeps)):
        try:
            fired[entry.name] = entry.fire(now)
        except Exception:
            log.exception("sweep entry %s failed; the next sweep tries again", entry.name)
            fired[entry.name] = 0
    if any(fired.values()):
        log.info("sweep fired %s", ", ".join(f"{name}: {count}" for name, count in fired.items() if count))
    return fired
