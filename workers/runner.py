"""Start an RQ worker on every queue the project uses, with RQ's scheduler for delayed retries."""
from __future__ import annotations

from redis import Redis
from rq import Worker
from rq.serializers import JSONSerializer

from workers.queues import QUEUES, queue


def make_worker(connection: Redis, worker_class: type[Worker] = Worker) -> Worker:
    """A worker on all project queues (most urgent first), reading JSON jobs."""
    queues = [queue(name, connection) for name in QUEUES]
    return worker_class(queues, connection=connection, serializer=JSONSerializer)


def run_worker(connection: Redis, burst: bool = False, worker_class: type[Worker] = Worker) -> bool:
    """Work the queues; in burst mode return when they are empty. True if any job ran."""
    return make_worker(connection, worker_class).work(burst=burst, with_scheduler=True)
