"""The project's RQ queues and the one generic way to enqueue a job by ids (now or at a time), declared jobs only."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from models.connections import redis as bound_redis
from models.jobs import JobSpec
from workers.context import current

log = logging.getLogger(__name__)

JOB_OPTIONS = {"job_timeout": 300, "result_ttl": 3600, "failure_ttl": 7 * 86400}
"""Defaults for every job: a timeout, and how long Redis keeps a result (an hour) and a failure (a week)."""

LIVE_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}

WORKER_JOBS = frozenset(
    {
        "workers.sms_jobs.send_message",
        "workers.sweep.sweep",
        "workers.backup.nightly_backup",
        "workers.gateways.smsgate_devices.learn_devices",
    }
)
"""The workers' own job functions; the features declare theirs (`Feature.jobs`, `Feature.cron`)."""


class JobNotAllowed(ValueError):
    """A job names a function no feature declares: the worker would refuse it, so it is not enqueued."""


def allowed_jobs() -> frozenset[str]:
    """Every function a project worker runs: the workers' own and those the features declare (bound at start)."""
    return current().job_functions


def connect_redis(url: str) -> Redis:
    """A Redis client for RQ with short timeouts, so a dead Redis fails fast instead of hanging a request."""
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=30)


def redis() -> Redis:
    """The process's Redis connection (bound by `create_app`, connected lazily)."""
    return bound_redis()


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
    allowed = allowed_jobs()
    for spec in specs:
        if spec.func not in allowed:
            raise JobNotAllowed(f"{spec.func} is not a declared job function: the worker would refuse it")
    try:
        connection = connection or redis()
        now = dt.datetime.now(dt.UTC)
        with connection.pipeline() as pipe:
            pipe.multi()  # RQ starts the transaction only before anything is buffered; a job for later may come first
            for spec in specs:
                q = queue(spec.queue, connection)
                options = {**JOB_OPTIONS, **spec.options, "job_id": spec.job_id, "pipeline": pipe}
                at = spec.at.replace(tzinfo=dt.UTC) if spec.at is not None else None
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
