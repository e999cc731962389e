"""The cron schedule, run by RQ's cron scheduler: cron times are local to TIMEZONE; jobs use the JSON serializer.

RQ 3.0's `CronScheduler.register()` takes no timezone (its `CronJob` reads cron fields in the host's
local time) and no serializer (its `CronJob.enqueue()` pickles). So `ZonedCronScheduler.register()`
builds a `ZonedCronJob`, a `CronJob` whose two public methods `get_next_enqueue_time()` and
`enqueue()` read cron fields in a `zoneinfo` zone and enqueue with `JSONSerializer`; the rest
(`enqueue_jobs()`, `start()`, heartbeats, monitoring) is RQ's own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from redis import Redis
from rq import Queue, cron_job_registry
from rq.cron import CronJob, CronScheduler
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.utils import now

from models.jobs import DEFAULT_QUEUE
from workers.backup import BACKUP_JOB_TIMEOUT, NIGHTLY_BACKUP_CRON, nightly_backup
from workers.context import current, settings
from workers.sweep import sweep

log = logging.getLogger(__name__)

SCHEDULER_NAME = "kawalmigran-cron"
"""The name the cron scheduler registers under in Redis."""

SWEEP_INTERVAL_SECONDS = 60
"""How often the sweep runs."""

CRON_JOB_TIMEOUT = 300
"""Seconds a periodic job may run."""


@dataclass(frozen=True)
class Entry:
    """One periodic job: a function, its queue, and either an interval in seconds or a cron expression in local time."""

    func: Callable[..., Any]
    queue: str
    interval: int | None = None
    cron: str | None = None
    job_timeout: int = CRON_JOB_TIMEOUT

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ValueError(f"{self.func.__name__}: give either interval or cron, not both or neither")
        if self.interval is not None and self.interval <= 0:
            raise ValueError(f"{self.func.__name__}: interval must be a positive number of seconds")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"{self.func.__name__}: {self.cron!r} is not a cron expression")


def schedule() -> tuple[Entry, ...]:
    """Every periodic job: the sweep every SWEEP_INTERVAL_SECONDS, the nightly backup when BACKUP_DIR is set, then
    the features' cron entries (in TIMEZONE local time, e.g. "0 7 * * 1": Mondays 07:00)."""
    backups = (Entry(nightly_backup, DEFAULT_QUEUE, cron=NIGHTLY_BACKUP_CRON, job_timeout=BACKUP_JOB_TIMEOUT),)
    return (
        Entry(sweep, DEFAULT_QUEUE, interval=SWEEP_INTERVAL_SECONDS),
        *(backups if settings().get("BACKUP_DIR") else ()),
        *(Entry(entry.func, entry.queue, cron=entry.cron) for entry in current().cron),
    )


def next_run(cron: str, after: datetime, zone: str | ZoneInfo) -> datetime:
    """The first time strictly after `after` (aware) that `cron`, read in local time of `zone`, matches; in UTC.

    A local time that a DST change skips fires as if the clocks had not moved yet (02:30 -> 03:30: late
    rather than never); a local time that happens twice fires at its first occurrence only.
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    local_times = croniter(cron, after.astimezone(tz).replace(tzinfo=None))
    while True:
        candidate = local_times.get_next(datetime).replace(tzinfo=tz, fold=0).astimezone(UTC)
        if candidate > after:  # a repeated hour can map a later wall time to an earlier instant
            return candidate


class ZonedCronJob(CronJob):
    """A CronJob whose cron fields are local time of `zone` and whose jobs are enqueued with the JSON serializer."""

    def __init__(self, zone: ZoneInfo, **options: Any) -> None:
        self.zone = zone  # set first: CronJob.__init__ computes the first cron time
        super().__init__(**options)

    def get_next_enqueue_time(self) -> datetime:
        """The next run time: cron expressions are read in `zone`, intervals as RQ does."""
        if self.cron:
            return next_run(self.cron, self.latest_enqueue_time or now(), self.zone)
        return super().get_next_enqueue_time()

    def enqueue(self, connection: Redis) -> Job:
        """Enqueue this job with the JSON serializer and record it in RQ's cron job history, in one round trip."""
        if not self.func:
            raise ValueError("a cron job restored for monitoring has no function to enqueue")
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        with connection.pipeline() as pipeline:
            job = queue.enqueue(self.func, args=self.args, kwargs=self.kwargs, **self.job_options, pipeline=pipeline)
            assert job.enqueued_at is not None, "RQ sets enqueued_at as it enqueues"
            enqueued_at = job.enqueued_at.timestamp()
            pipeline.zadd(self.job_history_key, {job.id: enqueued_at})
            pipeline.zremrangebyrank(self.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
            pipeline.expire(self.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
            cron_job_registry.add(self.name, pipeline, enqueue_timestamp=enqueued_at)
            pipeline.execute()
        log.info("cron enqueued %s on %s", self.name, self.queue_name)
        return job


class ZonedCronScheduler(CronScheduler):
    """RQ's cron scheduler, whose `register()` reads cron expressions in one timezone and enqueues JSON jobs."""

    def __init__(self, connection: Redis, zone: str, name: str = SCHEDULER_NAME) -> None:
        self.zone = ZoneInfo(zone)  # raises for an unknown zone: fail at start-up, not at 07:00
        super().__init__(connection=connection, name=name)

    # passes RQ's options on to the job as keywords, rather than restating each of RQ's parameters
    def register(self, func: Callable, queue_name: str, **options: Any) -> CronJob:  # type: ignore[override]
        """Register `func` on `queue_name`, with RQ's options (interval= or cron= in this scheduler's zone, ...)."""
        cron_job = ZonedCronJob(self.zone, queue_name=queue_name, func=func, **options)
        self.get_jobs().append(cron_job)  # get_jobs() is RQ's live list, the one enqueue_jobs() and start() walk
        if cron_job not in self.get_jobs():
            raise RuntimeError("this RQ's CronScheduler.get_jobs() returns a copy: the job would never run")
        every = f"every {cron_job.interval} s" if cron_job.interval else f"at {cron_job.cron!r} {self.zone.key}"
        log.info("cron registered %s on %s %s", cron_job.name, queue_name, every)
        return cron_job


def build_scheduler(connection: Redis, timezone: str, entries: tuple[Entry, ...] | None = None) -> CronScheduler:
    """A cron scheduler with `entries` (default: `schedule()`) registered, its cron expressions read in `timezone`
    (e.g. "Asia/Jakarta")."""
    scheduler = ZonedCronScheduler(connection, timezone)
    for entry in schedule() if entries is None else entries:
        scheduler.register(
            entry.func, entry.queue, interval=entry.interval, cron=entry.cron, job_timeout=entry.job_timeout
        )
    return scheduler
