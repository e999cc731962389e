"""Work a committed change leaves behind: SMS rows to send and jobs to enqueue, described by ids, never instances.

The domain and the features describe a job (`JobSpec`) and hand what a transaction wrote to
`enqueue_after_commit`; the worker layer binds the one implementation at start (`bind_after_commit`), as
`create_app` binds the database. So a feature's job can schedule the next step without importing the workers.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from models.base import database
from models.binding import Binding
from models.message import Outgoing

SMS_URGENT_QUEUE = "sms-urgent"
"""Outbound SMS that jump the queue when sends are throttled (staff alerts and escalations of cases)."""

SMS_QUEUE = "sms"
"""Outbound SMS sends."""

DEFAULT_QUEUE = "default"
"""Everything else: sweeps, escalations, reminders, follow-ups and digests."""

QUEUES = (SMS_URGENT_QUEUE, SMS_QUEUE, DEFAULT_QUEUE)
"""Every queue a worker listens on, most urgent first."""


@dataclass(frozen=True)
class JobSpec:
    """One job to enqueue: a job function by dotted path, its ids and primitives, and when.

    `job_id` is stable for the piece of work (e.g. `sms-<id>-<attempt>`), so enqueueing it twice, or the
    sweep enqueueing it again, runs it once. `at` is naive UTC (as stored); None means now. Only functions
    a feature declares (or the workers' own) are enqueued and run: see `workers.queues.enqueue`.
    """

    func: str
    args: tuple[Any, ...]
    job_id: str
    queue: str = DEFAULT_QUEUE
    at: dt.datetime | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.queue not in QUEUES:
            raise ValueError(f"{self.queue} is not one of the project's queues {QUEUES}")
        if "." not in self.func:
            raise ValueError(f"{self.func} is not a dotted path to a job function")


def job_path(func: Callable[..., Any]) -> str:
    """The dotted path RQ stores for a job function (`package.module.function`)."""
    return f"{func.__module__}.{func.__qualname__}"


AfterCommit = Outgoing | JobSpec
"""What a change leaves to do once its transaction commits: SMS rows to send, jobs to enqueue."""


class AfterCommitPort(Protocol):
    """Enqueues what a committed change wrote; returns how many jobs (0 when Redis is down: the sweep catches up)."""

    def __call__(self, items: Iterable[AfterCommit]) -> int: ...


_after_commit: Binding[AfterCommitPort] = Binding("the after-commit enqueue")


def bind_after_commit(port: AfterCommitPort) -> None:
    """Bind the implementation of `enqueue_after_commit` (the worker layer's, at start)."""
    _after_commit.bind(port)


def enqueue_after_commit(items: Iterable[AfterCommit]) -> int:
    """Enqueue what a committed change wrote: sends of its SMS rows and its other jobs; return how many jobs."""
    return _after_commit.get()(items)


T = TypeVar("T")


def with_database(job: Callable[..., T]) -> Callable[..., T]:
    """Decorate a job: connect before it runs, close after (reusing a connection the caller holds)."""

    @functools.wraps(job)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        opened = database.connect(reuse_if_open=True)
        try:
            return job(*args, **kwargs)
        finally:
            if opened:
                database.close()

    return wrapper
