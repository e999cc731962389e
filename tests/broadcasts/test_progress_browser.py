"""A coordinator sends a broadcast from the console in headless Chromium and watches its progress bar fill as the
worker sends, without reloading the page (the page's script reads the progress JSON; CSP allows no inline script)."""

from __future__ import annotations

import re

import pytest

from models import database
from tests.support.broadcasts import ID_TEXT, many_people
from tests.support.browser import PHONE_WIDTH, browser_page, served
from tests.support.clock import frozen_at
from tests.support.console import PASSWORD, give_password
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR, add_case_staff


@pytest.mark.browser
def test_the_progress_bar_fills_without_a_reload(app, drain):
    from playwright.sync_api import expect

    add_case_staff()
    give_password(COORDINATOR)
    many_people(150)
    with frozen_at(), served(app) as live_server, browser_page(live_server, PHONE_WIDTH) as page:
        assert not database.in_transaction()
        page.goto(f"{live_server}/console/login")
        page.get_by_label("Nomor HP").fill(COORDINATOR)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.goto(f"{live_server}/console/broadcasts")
        page.get_by_label("Teks dalam Bahasa Indonesia").fill(ID_TEXT)
        page.get_by_role("button", name="Lihat dulu sebelum dikirim").click()
        expect(page.locator("#recipients")).to_have_text("150")
        page.get_by_role("button", name="Kirim ke 150 orang").click()
        expect(page.locator("h1")).to_have_text(re.compile(r"^Siaran \d+$"))
        expect(page.locator('[data-count="gone"]')).to_have_text("0")
        page.evaluate("window.notReloaded = true")

        database.close()
        drain()  # the worker sends while the page is open
        assert len(outbox(purpose="broadcast")) == 150
        database.close()

        expect(page.locator('[data-count="gone"]')).to_have_text("150", timeout=10_000)
        page.wait_for_function("document.querySelector('progress').value === 150")
        expect(page.locator("[data-state]")).to_have_text("selesai")
        assert page.evaluate("window.notReloaded") is True
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
