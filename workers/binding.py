"""Bind the worker layer for this process: the settings jobs read, what the features declare (the job allow-list,
sweeps, cron), Redis, and the one way a committed change's SMS and jobs are enqueued
(`models.jobs.enqueue_after_commit`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis import Redis

from menus.registry import Registry
from models.connections import bind_redis
from models.jobs import bind_after_commit
from models.send_rate import bind_send_rate
from workers import context
from workers.queues import WORKER_JOBS
from workers.sms_jobs import enqueue_after_commit
from workers.throttle import sends_per_minute


def bind_workers(config: Mapping[str, Any], connection: Redis, registry: Registry) -> None:
    """Bind `config` (read at each job, so a test's change is seen), Redis, and what `registry`'s features declare."""
    bind_redis(connection)
    context.bind(
        context.WorkerContext(
            config, WORKER_JOBS | registry.job_functions, tuple(registry.sweeps), tuple(registry.cron)
        )
    )
    bind_after_commit(enqueue_after_commit)
    bind_send_rate(lambda: sends_per_minute(context.settings()))
