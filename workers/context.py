"""Run a job with a database connection of its own, opened at the start and closed at the end."""
from __future__ import annotations

import functools
from typing import Callable, TypeVar

from models import database

T = TypeVar("T")


def with_database(job: Callable[..., T]) -> Callable[..., T]:
    """Decorate a job: connect before it runs, close after (reusing a connection the caller holds)."""

    @functools.wraps(job)
    def wrapper(*args, **kwargs) -> T:
        opened = database.connect(reuse_if_open=True)
        try:
            return job(*args, **kwargs)
        finally:
            if opened:
                database.close()

    return wrapper
