"""The WSGI app the benchmark serves: `create_app()` plus a bare endpoint to compare against.

`POST /bench/bare` does no parsing, no database and no Redis: it measures what gunicorn, Flask
and the HTTP client cost on their own, in the same processes and with the same settings.
"""

from __future__ import annotations

from flask import Response

from service import create_app

BARE_REPLY = "CON ok"
"""The fixed body of the bare endpoint."""

app = create_app()


@app.post("/bench/bare")
def bench_bare() -> Response:
    """A fixed text/plain reply shaped like a USSD one."""
    return Response(BARE_REPLY, 200, mimetype="text/plain")
