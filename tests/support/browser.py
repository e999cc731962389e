"""A test app served on loopback and headless Debian Chromium (Playwright) looking at it, offline only."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
"""Debian's Chromium, launched as the simulator's browser tests launch it."""

PHONE_WIDTH, LAPTOP_WIDTH = 360, 1280


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve `app` on a free loopback port from a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="console-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@contextmanager
def browser_page(base_url: str, width: int = PHONE_WIDTH) -> Iterator:
    """A headless Chromium page at `width` px that may load only from `base_url`; afterwards, no outside request
    and no script error (a CSP violation is one)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    base = urlsplit(base_url)
    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 800})

            def offline_only(route) -> None:
                if urlsplit(route.request.url).netloc == base.netloc:
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context.route("**/*", offline_only)
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            yield page
        finally:
            browser.close()
    assert outside == [], "the console must work offline"
    assert errors == [], "no script error or CSP violation"
