"""The cron schedule, run by RQ's cron scheduler; its jobs are enqueued with the JSON serializer."""
from __future__ import annotations

import logging
from typing import Callable

from redis import Redis
from rq import Queue
from rq.cron import CronJob, CronScheduler
from rq.serializers import JSONSerializer

from workers.queues import DEFAULT_QUEUE
from workers.sweep import sweep

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 60
"""How often the sweep runs."""

SCHEDULE: tuple[tuple[Callable, str, int], ...] = ((sweep, DEFAULT_QUEUE, SWEEP_INTERVAL_SECONDS),)
"""(job, queue, interval in seconds) for every periodic job."""


class JsonCronJob(CronJob):
    """A cron job enqueued with the JSON serializer that this project's workers read."""

    def enqueue(self, connection: Redis):
        """Enqueue this job now and remember when."""
        queue = Queue(self.queue_name, connection=connection, serializer=JSONSerializer)
        job = queue.enqueue(self.func, args=self.args, kwargs=self.kwargs, **self.job_options)
        log.info("cron enqueued %s", self.name)
        return job


def build_scheduler(connection: Redis) -> CronScheduler:
    """A cron scheduler with the project's schedule registered."""
    scheduler = CronScheduler(connection=connection, name="kawalmigran-cron")
    for func, queue_name, interval in SCHEDULE:
        scheduler._cron_jobs.append(JsonCronJob(queue_name=queue_name, func=func, interval=interval, job_timeout=300))
    return scheduler
