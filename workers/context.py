"""What the worker layer runs with, bound once at start (`create_app`, in web, worker and CLI alike): the
service's settings and what the features declare (jobs, sweeps, cron). Jobs read it here, never from Flask."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from menus.feature import CronEntry, Sweep
from models.binding import Binding


@dataclass(frozen=True)
class WorkerContext:
    """The settings mapping (the app's config: SMS backend, gateway, retry delays, throttle) and the allow-list."""

    config: Mapping[str, Any]
    job_functions: frozenset[str] = field(default_factory=frozenset)
    """Dotted paths of every function a project worker may run (the features' jobs and the workers' own)."""
    sweeps: tuple[Sweep, ...] = ()
    """The features' sweeps (the sweep job runs them after the workers' own)."""
    cron: tuple[CronEntry, ...] = ()
    """The features' cron entries (the cron scheduler registers them beside the sweep)."""


_bound: Binding[WorkerContext] = Binding("the worker context")


def bind(context: WorkerContext) -> None:
    """Bind the context for this process."""
    _bound.bind(context)


def current() -> WorkerContext:
    """The bound context."""
    return _bound.get()


def settings() -> Mapping[str, Any]:
    """The bound settings mapping (the app's config; tests that change it are seen at once)."""
    return current().config
