"""The gateway's sending rate as the worker layer knows it (`workers.throttle.sends_per_minute`), bound at start, so
that a feature's job can pace what it writes without importing the worker layer."""

from __future__ import annotations

from collections.abc import Callable

SendRate = Callable[[], "int | None"]
"""SMS a minute the gateway lets through now; None when it has no throttle."""


def _unbound() -> int | None:
    return None


_rate: list[SendRate] = [_unbound]


def bind_send_rate(rate: SendRate) -> None:
    """Use `rate` to tell the gateway's sending rate (the worker layer binds it at start)."""
    _rate[0] = rate


def send_rate() -> int | None:
    """SMS a minute the gateway lets through now (None: no throttle, or nothing bound)."""
    return _rate[0]()
