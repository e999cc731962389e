"""The project's RQ queues and the one place jobs are enqueued from (with the retry policy stated)."""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

SMS_QUEUE = "sms"
"""Outbound SMS sends."""

DEFAULT_QUEUE = "default"
"""Everything else: sweeps, and later alerts, reminders and digests."""

QUEUES = (SMS_QUEUE, DEFAULT_QUEUE)
"""Every queue a worker listens on, most urgent first."""

SEND_JOB = "workers.sms_jobs.send_message"
SEND_JOB_TIMEOUT = 60
"""Seconds a send job may take (the gateway call itself has its own shorter timeout)."""

SEND_OPTIONS = {"job_timeout": SEND_JOB_TIMEOUT, "result_ttl": 3600, "failure_ttl": 7 * 86400}
"""Every send job: its timeout, and how long Redis keeps its result (an hour) and a failure (a week)."""

LIVE_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


def connect_redis(url: str) -> Redis:
    """A Redis client for RQ with short timeouts, so a dead Redis fails fast instead of hanging a request."""
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=30)


def redis() -> Redis:
    """The app's Redis connection (created by `create_app`, connected lazily)."""
    return current_app.extensions["redis"]


def queue(name: str, connection: Redis | None = None) -> Queue:
    """An RQ queue of this project, with the JSON serializer."""
    return Queue(name, connection=connection or redis(), serializer=JSONSerializer)


def job_is_live(job_id: str, connection: Redis | None = None) -> bool:
    """True if Redis holds this job waiting, scheduled or running."""
    try:
        job = Job.fetch(job_id, connection=connection or redis(), serializer=JSONSerializer)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in LIVE_STATUSES


def enqueue_send(message_id: int, attempt: int, delay_seconds: float = 0.0) -> bool:
    """Enqueue the send of one message attempt; False (logged) if Redis is unavailable: the sweep re-enqueues it.

    Retry policy: the job itself re-enqueues after SMS_RETRY_DELAYS on retryable errors only.
    """
    job_id = f"sms-{message_id}-{attempt}"
    try:
        q = queue(SMS_QUEUE)
        if delay_seconds > 0:
            q.enqueue_in(dt.timedelta(seconds=delay_seconds), SEND_JOB, message_id, job_id=job_id, **SEND_OPTIONS)
        else:
            q.enqueue(SEND_JOB, message_id, job_id=job_id, **SEND_OPTIONS)
        return True
    except RedisError as error:
        log.warning("could not enqueue message %s (%s); the sweep will retry", message_id, type(error).__name__)
        return False


def enqueue_sends(message_ids: list[int]) -> int:
    """Enqueue first attempts for messages just committed, in one Redis round trip; return how many.

    On a Redis error nothing is lost: the messages stay queued in the database and the sweep enqueues them.
    """
    if not message_ids:
        return 0
    try:
        q = queue(SMS_QUEUE)
        with q.connection.pipeline() as pipe:
            for message_id in message_ids:
                q.enqueue(SEND_JOB, message_id, job_id=f"sms-{message_id}-0", pipeline=pipe, **SEND_OPTIONS)
            pipe.execute()
        return len(message_ids)
    except RedisError as error:
        log.warning("could not enqueue %s messages (%s); the sweep will retry", len(message_ids),
                    type(error).__name__)
        return 0
