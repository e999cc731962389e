"""Logging to stderr with secrets redacted (no API key, webhook token, phone app password or signing key ever
reaches a log line) and control characters escaped (a newline inside a payload cannot forge a log line)."""

from __future__ import annotations

import logging
import re
import sys

from flask import Flask

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_TOKEN_IN_QUERY = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)
REDACTED_SETTINGS = (
    "AT_API_KEY",
    "WEBHOOK_TOKEN",
    "SECRET_KEY",
    "SMSGATE_PASSWORD",
    "SMSGATE_WEBHOOK_SECRET",
)
"""The settings whose values never reach a log line (the phone app's password and signing key included)."""
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0 and C1 controls and the Unicode line separators: what a terminal or a log reader takes as a new line."""


def escape_controls(text: str) -> str:
    """Write control characters as Python escapes (a newline as `\\n`), so a message stays on its line."""
    return _CONTROL_CHARACTERS.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class RedactSecrets(logging.Filter):
    """Replace configured secret values, and any `token=` query value, with ***; escape control characters.
    (A traceback is added by the formatter after this, on lines of its own.)"""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without secrets; never drops a record."""
        message = record.getMessage()
        cleaned = _TOKEN_IN_QUERY.sub(r"\1***", message)
        for secret in self.secrets:
            cleaned = cleaned.replace(secret, "***")
        cleaned = escape_controls(cleaned)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def init_app(app: Flask) -> None:
    """Send logs to stderr (once per process) and redact the app's secrets from every handler."""
    root = logging.getLogger()
    if not any(getattr(h, "_kawalmigran", False) for h in root.handlers):
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        handler._kawalmigran = True  # type: ignore[attr-defined]  # our own mark, not a Handler attribute
        root.addHandler(handler)
        if root.level == logging.WARNING:
            root.setLevel(logging.INFO)
    redact = RedactSecrets([app.config.get(k, "") for k in REDACTED_SETTINGS])
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
