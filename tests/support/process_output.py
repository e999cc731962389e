"""Waiting on what a child process says, not on a clock: its output is read in a thread and kept, and a test
waits (with a deadline) until the lines it needs have appeared."""

from __future__ import annotations

import threading
from typing import IO


class OutputWatcher:
    """Reads a child's output (bytes) to its end in a daemon thread; `wait_for` blocks until texts appear."""

    def __init__(self, stream: IO[bytes], copy_to: IO[bytes] | None = None) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self._thread = threading.Thread(target=self._read, args=(stream, copy_to), name="output-watcher", daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes], copy_to: IO[bytes] | None) -> None:
        for raw in iter(stream.readline, b""):
            if copy_to is not None:
                copy_to.write(raw)
                copy_to.flush()
            with self._changed:
                self._lines.append(raw.decode("utf-8", "replace"))
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        """Everything read so far."""
        with self._changed:
            return "".join(self._lines)

    def wait_for(self, *texts: str, timeout: float) -> bool:
        """True once every text has appeared in the output; False if the output ended or `timeout` passed first."""

        def seen() -> bool:
            joined = "".join(self._lines)
            return all(text in joined for text in texts) or self._ended

        with self._changed:
            self._changed.wait_for(seen, timeout)
            joined = "".join(self._lines)
            return all(text in joined for text in texts)

    def finish(self, timeout: float = 10) -> str:
        """Wait for the output to end (the process exited) and return all of it."""
        self._thread.join(timeout)
        return self.text
