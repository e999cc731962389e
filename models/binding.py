"""One thing a process binds at start (the Redis connection, the settings jobs read, the after-commit enqueue), so
that no module opens a connection at import time and no lower layer reaches up for it."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class NotBound(RuntimeError):
    """Something was used before the service bound it (create_app binds everything at start)."""


class Binding(Generic[T]):
    """A slot for one `what`, bound at start and read afterwards (a missing binding is a clear error, not None)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._value: T | None = None

    def bind(self, value: T) -> None:
        """Bind (or rebind) the value for this process."""
        self._value = value

    def get(self) -> T:
        """The bound value; NotBound if there is none yet."""
        if self._value is None:
            raise NotBound(f"{self.what} is not bound (create_app binds it at start)")
        return self._value
