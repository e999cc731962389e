"""The Redis connection the domain counts on (the SMS limits) and the workers queue on, bound at start like the
database: no module opens a connection at import time, and none reaches into the web app for one."""

from __future__ import annotations

from redis import Redis

from models.binding import Binding

_redis: Binding[Redis] = Binding("the Redis connection")


def bind_redis(connection: Redis) -> None:
    """Bind the process's Redis connection (create_app does, for web, worker and CLI alike)."""
    _redis.bind(connection)


def redis() -> Redis:
    """The bound Redis connection (connected lazily by the client)."""
    return _redis.get()
