"""What every fake provider shares for scripting failures: a queue of whole-request behaviours for its next sends.

    fake.fail_next(http_status=500)          # the next send fails as a whole
    fake.fail_next(delay=1.5)                # the one after is answered late (a client timeout)
    fake.fail_next(http_status=502, delay=1) # late and failed

A fake mixes in `FailureScript`, calls `FailureScript.__init__`, and its handler takes `next_failure()` once a
send request; each fake decides what a delay without a status means for it (AT: the normal answer, late;
the phone: the message accepted, the answer late).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ScriptedFailure:
    """One scripted behaviour: answer `http_status` with `body` (None: the normal answer), after `delay` seconds."""

    http_status: int | None
    body: str
    content_type: str
    delay: float


class FailureScript:
    """A thread-safe queue of `ScriptedFailure`s, played one a send, oldest first."""

    failure_content_type: ClassVar[str] = "text/plain"
    """The Content-Type of a failure's body unless the test names one."""

    def __init__(self) -> None:
        self._failures: deque[ScriptedFailure] = deque()
        self._failures_lock = threading.Lock()

    def fail_next(
        self,
        http_status: int | None = None,
        body: str | None = None,
        delay: float = 0.0,
        content_type: str | None = None,
    ) -> None:
        """Queue a whole-request behaviour for the next send: answer `http_status` with `body`, after `delay`
        seconds. With only `delay`, the normal answer is sent late (for a client timeout)."""
        if http_status is None and not delay:
            raise ValueError("give http_status, delay or both")
        if body is None:
            body = "" if http_status is None else self.failure_body(http_status)
        with self._failures_lock:
            self._failures.append(ScriptedFailure(http_status, body, content_type or self.failure_content_type, delay))

    def failure_body(self, http_status: int) -> str:
        """The body of a scripted failure the test gave no body for."""
        return f"fake failure {http_status}"

    def next_failure(self) -> ScriptedFailure | None:
        """The behaviour scripted for this send, taken off the queue; None when nothing is scripted."""
        with self._failures_lock:
            return self._failures.popleft() if self._failures else None

    def clear_failures(self) -> None:
        """Forget every queued behaviour."""
        with self._failures_lock:
            self._failures.clear()
