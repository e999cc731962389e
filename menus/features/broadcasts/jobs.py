"""The broadcast's send job: turns recipients into outbox rows in batches, exactly once, and the sweep that re-fires
a sending broadcast whose job was lost.

Each batch is one transaction: the SMS rows are written through the sending policy (`menus.notify.send_text`:
purpose `broadcast`, counted in the broadcasts' share of SMS_DAILY_LIMIT) and each recipient is marked with its
row in the same transaction, so a worker killed midway leaves every recipient either written or not, and the next
run goes on from the first one not written. The rows are enqueued after the commit like any fan-out (one send job
per 100 rows of one text: one gateway call each where the backend allows). A run writes CHUNK_BATCHES batches, or
fewer if an urgent SMS waits, then hands over to its next run (a new job: the worker takes the urgent queue first).
It stops when the broadcast is paused or cancelled; in quiet hours, or when today's share is used up, its next
run is scheduled for 06:00 local.

On a throttled gateway (the phones) a run writes only what the gateway sends in PACED_MINUTES and the next run comes
when those are due to have gone: every SMS written takes its turn at the phone, so writing a whole broadcast at once
would put a person's reply behind all of it. Paced, a reply waits at most about PACED_MINUTES behind a broadcast.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from redis.exceptions import RedisError
from rq import Queue

from menus.notify import send_text
from menus.turn import Lookups
from models import database, utcnow
from models.broadcast import Broadcast
from models.connections import redis
from models.jobs import DEFAULT_QUEUE, SMS_URGENT_QUEUE, JobSpec, enqueue_after_commit, job_path, with_database
from models.message import Outgoing
from models.send_rate import send_rate
from models.settings import SETTINGS, quiet_hours_end

log = logging.getLogger(__name__)

PURPOSE = "broadcast"
"""The sending policy's purpose of a broadcast SMS (`models.sending_policy`: held in quiet hours, at most half of
SMS_DAILY_LIMIT, continues the next day)."""

BATCH = 100
"""Recipients written in one transaction: one send job's batch (the send path's BATCH_LIMIT)."""

CHUNK_BATCHES = 10
"""Batches one run writes before its next run takes over."""

PACED_MINUTES = 1.0
"""On a throttled gateway, a run writes what the gateway sends in this long (the most a reply waits behind it)."""

WRITER_TIMEOUT = 300
"""Seconds one run may take."""


def writer_spec(broadcast_id: int, step: int, at: dt.datetime | None = None) -> JobSpec:
    """The run `step` of a broadcast's send job, now or at `at` (naive UTC); its id is stable for the sweep."""
    return JobSpec(
        job_path(send_broadcast),
        (broadcast_id,),
        f"broadcast-{broadcast_id}-{step}",
        DEFAULT_QUEUE,
        at,
        {"job_timeout": WRITER_TIMEOUT},
    )


class TakenElsewhere(Exception):
    """Another run marked a recipient of this batch first: this run's batch is rolled back."""


@with_database
def send_broadcast(broadcast_id: int) -> str:
    """Write the next batches of a sending broadcast's SMS rows, then hand over to its next run (or wait for the
    morning); idempotent: a paused, cancelled or finished broadcast, or one not due yet, is left alone."""
    broadcast = Broadcast.get_or_none(Broadcast.id == broadcast_id)
    if broadcast is None:
        log.warning("send job for unknown broadcast %s", broadcast_id)
        return "missing"
    if broadcast.state != "sending":
        return broadcast.state
    now = utcnow()
    if broadcast.resume_at is not None and broadcast.resume_at > now:
        return "waiting"  # its own job, scheduled for then, goes on
    morning = quiet_hours_end(now)
    if morning is not None:
        return _next_run(broadcast, morning)
    per_minute = send_rate()
    allowance = BATCH * CHUNK_BATCHES if per_minute is None else max(1, int(per_minute * PACED_MINUTES))
    written = 0
    while written < allowance:
        outcome, later, count = _write_batch(broadcast, min(BATCH, allowance - written))
        if outcome != "written":
            return outcome
        written += count
        if later is not None:
            return _next_run(broadcast, later)
        if _urgent_waiting():
            break
    if per_minute is None:
        return _next_run(broadcast, None)
    due = utcnow() + dt.timedelta(minutes=written / per_minute)
    return _next_run(broadcast, due.replace(microsecond=0) + dt.timedelta(seconds=1))  # RQ schedules whole seconds


def _write_batch(broadcast: Broadcast, size: int) -> tuple[str, dt.datetime | None, int]:
    """Write one batch of at most `size` and enqueue its sends: ("written", when to go on if not at once, how many),
    or "done", "stopped" (paused or cancelled), "taken" (another run has it), with none written."""
    now = utcnow()
    lookups = Lookups()
    written: list[Outgoing] = []
    later = None
    try:
        with database.atomic():
            state = Broadcast.select(Broadcast.state).where(Broadcast.id == broadcast.id).scalar()
            if state != "sending":
                return "stopped", None, 0
            batch = broadcast.waiting(size)
            if not batch:
                broadcast.finish()
                log.info("broadcast %s: every recipient's SMS is written", broadcast.id)
                return "done", None, 0
            for recipient in batch:
                text = broadcast.text_for(recipient.language, SETTINGS.default_language)
                row = send_text(recipient.phone, text, PURPOSE, lookups=lookups)
                if not recipient.mark_written(row.message_id, now):
                    raise TakenElsewhere
                written.append(row)
                if row.due_at is not None and not row.refused:  # today's share is used up: the rest tomorrow
                    later = row.due_at
                    break
    except TakenElsewhere:
        log.info("broadcast %s: another run is writing it", broadcast.id)
        return "taken", None, 0
    enqueue_after_commit(written)
    return "written", later, len(written)


def _next_run(broadcast: Broadcast, at: dt.datetime | None) -> str:
    """Hand over to the next run, now or at `at` (naive UTC), unless the broadcast stopped meanwhile."""
    with database.atomic():
        moved = (
            Broadcast.update(step=Broadcast.step + 1, resume_at=at, updated_at=utcnow())
            .where((Broadcast.id == broadcast.id) & (Broadcast.state == "sending"))
            .execute()
        )
    if not moved:
        return "stopped"
    enqueue_after_commit([writer_spec(broadcast.id, broadcast.step + 1, at)])
    if at is not None:
        log.info("broadcast %s goes on at %s", broadcast.id, at)
        return "waiting"
    return "continues"


def _urgent_waiting() -> bool:
    """True if an urgent SMS (a case alert) waits in its queue: the run ends early so a worker takes it first."""
    try:
        return bool(redis().llen(Queue.redis_queue_namespace_prefix + SMS_URGENT_QUEUE))
    except RedisError:
        return False


def start_spec(broadcast: Broadcast) -> JobSpec:
    """The job that starts (or resumes) sending a broadcast."""
    return writer_spec(broadcast.id, broadcast.step, broadcast.resume_at)


def due_broadcasts(now: dt.datetime) -> Iterator[JobSpec]:
    """The runs of sending broadcasts that are due (the sweep enqueues those Redis does not hold)."""
    query = Broadcast.select().where(
        (Broadcast.state == "sending") & (Broadcast.resume_at.is_null() | (Broadcast.resume_at <= now))
    )
    for broadcast in query:
        yield writer_spec(broadcast.id, broadcast.step)


def begin(broadcast: Broadcast) -> int:
    """Fix a draft's recipients and start its send job; return how many recipients."""
    with database.atomic():
        count = broadcast.start(SETTINGS.default_language)
    enqueue_after_commit([start_spec(broadcast)])
    log.info("broadcast %s to %s recipients started", broadcast.id, count)
    return count


def resume(broadcast: Broadcast) -> None:
    """Go on with a paused broadcast from its first recipient not written."""
    with database.atomic():
        broadcast.resume()
    enqueue_after_commit([start_spec(Broadcast.get_by_id(broadcast.id))])
