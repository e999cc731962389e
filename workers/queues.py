"""The project's RQ queues and the one generic way to enqueue a job by ids (now or at a time)."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

SMS_URGENT_QUEUE = "sms-urgent"
"""Outbound SMS that jump the queue when sends are throttled (staff alerts and escalations of cases)."""

SMS_QUEUE = "sms"
"""Outbound SMS sends."""

DEFAULT_QUEUE = "default"
"""Everything else: sweeps, and later alerts, reminders and digests."""

QUEUES = (SMS_URGENT_QUEUE, SMS_QUEUE, DEFAULT_QUEUE)
"""Every queue a worker listens on, most urgent first."""

JOB_OPTIONS = {"job_timeout": 300, "result_ttl": 3600, "failure_ttl": 7 * 86400}
"""Defaults for every job: a timeout, and how long Redis keeps a result (an hour) and a failure (a week)."""

LIVE_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}

JOB_FUNCTIONS = frozenset({
    "workers.sms_jobs.send_message",
    "workers.case_jobs.escalate",
    "workers.training_jobs.run_step",
    "workers.report_jobs.open_abandoned_report",
    "workers.digest_jobs.send_digests",
    "workers.sweep.sweep",
    "workers.cron.weekly_digests",
    "workers.cron.monthly_digests",
})
"""Every function a project worker runs (the JobSpec funcs and the cron schedule): a job naming anything else
fails without running, since whoever can write to Redis could otherwise make the worker run any function."""


@dataclass(frozen=True)
class JobSpec:
    """One job to enqueue: a project job function by dotted path, its ids and primitives, and when.

    `job_id` is stable for the piece of work (e.g. `sms-<id>-<attempt>`), so enqueueing it twice, or the
    sweep enqueueing it again, runs it once. `at` is naive UTC (as stored); None means now.
    """

    func: str
    args: tuple[Any, ...]
    job_id: str
    queue: str = DEFAULT_QUEUE
    at: dt.datetime | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.func not in JOB_FUNCTIONS:
            raise ValueError(f"{self.func} is not in JOB_FUNCTIONS: the worker would refuse it")


def connect_redis(url: str) -> Redis:
    """A Redis client for RQ with short timeouts, so a dead Redis fails fast instead of hanging a request."""
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=30)


def redis() -> Redis:
    """The app's Redis connection (created by `create_app`, connected lazily)."""
    return current_app.extensions["redis"]


_QUEUES: dict[tuple[int, str], Queue] = {}


def queue(name: str, connection: Redis | None = None) -> Queue:
    """An RQ queue of this project, with the JSON serializer (one object per connection and name: building one
    checks the serializer against RQ's protocol, a third of the cost of an enqueue)."""
    connection = connection or redis()
    key = (id(connection), name)
    found = _QUEUES.get(key)
    if found is None or found.connection is not connection:
        found = _QUEUES[key] = Queue(name, connection=connection, serializer=JSONSerializer)
    return found


def job_is_live(job_id: str, connection: Redis | None = None) -> bool:
    """True if Redis holds this job waiting, scheduled or running."""
    try:
        job = Job.fetch(job_id, connection=connection or redis(), serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in LIVE_STATUSES


def enqueue(specs: Iterable[JobSpec], connection: Redis | None = None) -> int:
    """Enqueue jobs in one Redis round trip; return how many (0 when Redis is unavailable: logged).

    Callers enqueue only after the rows behind the jobs are committed, and every such row has a due
    time that the sweep fires if its job never arrives: a Redis outage delays work, it loses none.
    """
    specs = list(specs)
    if not specs:
        return 0
    try:
        connection = connection or redis()
        now = dt.datetime.now(dt.timezone.utc)
        with connection.pipeline() as pipe:
            for spec in specs:
                q = queue(spec.queue, connection)
                options = {**JOB_OPTIONS, **spec.options, "job_id": spec.job_id, "pipeline": pipe}
                at = spec.at.replace(tzinfo=dt.timezone.utc) if spec.at is not None else None
                if at is not None and at > now:  # aware: RQ reads a naive time as the host's local time
                    q.enqueue_at(at, spec.func, args=spec.args, **options)
                else:
                    q.enqueue(spec.func, args=spec.args, **options)
            pipe.execute()
        return len(specs)
    except RedisError as error:
        log.warning("could not enqueue %s jobs (%s); the sweep will enqueue them", len(specs), type(error).__name__)
        return 0


def enqueue_missing(specs: Iterable[JobSpec], connection: Redis | None = None) -> int:
    """Enqueue the jobs that Redis does not hold live (lost in a restart, or never enqueued); return how many."""
    connection = connection or redis()
    missing = [spec for spec in specs if not job_is_live(spec.job_id, connection)]
    return enqueue(missing, connection)
