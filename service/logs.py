"""Logging to stderr with secrets redacted: no API key or webhook token ever reaches a log line."""
from __future__ import annotations

import logging
import re
import sys

from flask import Flask

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_TOKEN_IN_QUERY = re.compile(r"(token=)[^&\s\"']+")


class RedactSecrets(logging.Filter):
    """Replace configured secret values, and any `token=` query value, with ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without secrets; never drops a record."""
        message = record.getMessage()
        cleaned = _TOKEN_IN_QUERY.sub(r"\1***", message)
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, "***")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def init_app(app: Flask) -> None:
    """Send logs to stderr (once per process) and redact the app's secrets from every handler."""
    root = logging.getLogger()
    if not any(getattr(h, "_kawalmigran", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._kawalmigran = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        if root.level == logging.WARNING:
            root.setLevel(logging.INFO)
    redact = RedactSecrets([app.config.get(k, "") for k in ("AT_API_KEY", "WEBHOOK_TOKEN", "SECRET_KEY")])
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
