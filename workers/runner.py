"""Start an RQ worker on every queue the project uses, with RQ's scheduler for delayed retries; it runs only
the project's own job functions."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from redis import Redis
from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.utils import now

from models.jobs import QUEUES
from workers.queues import allowed_jobs, queue

log = logging.getLogger(__name__)


def refusal(job: Job) -> str | None:
    """Why a project worker must not run `job` (None: it may): a function no feature declares (nor the workers), a
    method call, or callbacks and webhooks, which the project never sets and RQ would call or send."""
    if job.func_name not in allowed_jobs():
        return f"function {job.func_name!r} is not a project job"
    if job.instance is not None:
        return "a method call on an instance"
    callbacks = (job._success_callback_name, job._failure_callback_name, job._stopped_callback_name)
    if any(callbacks) or job.webhooks:
        return "callbacks or webhooks"
    return None


# The mixin is put in front of a Worker class (see allow_listed); the type checker reads it as one.
if TYPE_CHECKING:
    _MixinBase = Worker
else:
    _MixinBase = object


class AllowListMixin(_MixinBase):
    """Performs a job only if `refusal()` finds nothing; otherwise fails it (no retry, no callback) and logs why."""

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        reason = refusal(job)
        if reason is None:
            return super().perform_job(job, queue, execution)
        log.error("refused job %s from queue %s: %s", job.id, queue.name, reason)
        job.retries_left = None
        job.webhooks = []
        self.prepare_job_execution(job, remove_from_intermediate_queue=len(self.queues) == 1)
        job.ended_at = now()
        self.handle_job_failure(
            job,
            queue,
            started_job_registry=queue.started_job_registry,
            exc_string=f"JobNotAllowed: {reason}",
            execution=execution,
        )
        return False


@functools.cache
def allow_listed(worker_class: type[Worker]) -> type[Worker]:
    """`worker_class` with the allow-list in front of every job (one class per worker class)."""
    if issubclass(worker_class, AllowListMixin):
        return worker_class
    return type(f"AllowListed{worker_class.__name__}", (AllowListMixin, worker_class), {})


def make_worker(connection: Redis, worker_class: type[Worker] = Worker) -> Worker:
    """A worker on all project queues (most urgent first), reading JSON jobs and running only project jobs."""
    queues = [queue(name, connection) for name in QUEUES]
    # mypy checks a class object against Hashable with its instances' __hash__: a class is always hashable
    worker_type = allow_listed(worker_class)  # type: ignore[arg-type]
    return worker_type(queues, connection=connection, serializer=JSONSerializer)


def run_worker(connection: Redis, burst: bool = False, worker_class: type[Worker] = Worker) -> bool:
    """Work the queues; in burst mode return when they are empty. True if any job ran."""
    return make_worker(connection, worker_class).work(burst=burst, with_scheduler=True)
