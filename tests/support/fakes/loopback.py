"""What every fake provider shares: an HTTP server on 127.0.0.1 in a daemon thread, usable as a context manager.

A fake subclasses `LoopbackFake`, sets `handler` (its request handler class) and `name`, and its handler reaches
it as `self.server.fake`.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

log = logging.getLogger(__name__)


class FakeHandler(BaseHTTPRequestHandler):
    """What every fake's request handler shares: quiet logging and one way to answer."""

    def log_message(self, format: str, *args) -> None:
        log.debug(f"{self.server.fake.name}: " + format, *args)

    def send_body(self, status: int, content_type: str, body: str) -> None:
        """Answer with `body`; a client that gave up (a scripted delay longer than its timeout) is ignored."""
        data = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: LoopbackFake

    def handle_error(self, request, client_address) -> None:
        log.debug("%s: error while handling a request", self.fake.name, exc_info=True)


class LoopbackFake:
    """Serve `handler` on a free loopback port while started (late, delayed handlers are abandoned at stop)."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    name: ClassVar[str] = "fake"
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the fake, e.g. http://127.0.0.1:PORT."""
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        """Listen on a free port and serve in a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), self.handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
