"""No log line carries a secret: the app's redaction filter rewrites the webhook token, the AT API key and `token=`."""

from __future__ import annotations

import logging
from io import StringIO

import pytest

from service import create_app

URL_TOKEN = "url-only-token-4711"


@pytest.fixture
def captured(base_config):
    """Log output of a handler that was on the root logger before the app was created (so it got the filter)."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        create_app(base_config)
        yield stream
    finally:
        root.removeHandler(handler)


def test_secrets_are_redacted_and_the_rest_of_the_line_is_kept(captured, base_config):
    token, api_key = base_config["WEBHOOK_TOKEN"], base_config["AT_API_KEY"]
    log = logging.getLogger("kawalmigran.test_logs")
    log.warning("webhook called with the token %s from 10.0.0.7", token)
    log.warning(f"AT answered 401 for key {api_key} (username kawalmigran)")
    log.warning("POST /webhooks/at/sms?token=%s&from=21234 200", URL_TOKEN)

    output = captured.getvalue()
    assert token not in output and api_key not in output and URL_TOKEN not in output
    lines = output.splitlines()
    assert lines == [
        "webhook called with the token *** from 10.0.0.7",
        "AT answered 401 for key *** (username kawalmigran)",
        "POST /webhooks/at/sms?token=***&from=21234 200",
    ]
