"""An organiser sets a console password with the code the SMS brought, and signs in, in headless Chromium at a
phone's width."""

from __future__ import annotations

import re

import pytest

from menus.features.console import CODE_PURPOSE
from models import database
from tests.support.browser import LAPTOP_WIDTH, PHONE_WIDTH, browser_page, served
from tests.support.outbox import outbox
from tests.support.staff import ORGANIZER

NEW_PASSWORD = "kebun-kopi-tracap"


@pytest.fixture
def live_server(app):
    with served(app) as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize("width", [PHONE_WIDTH, LAPTOP_WIDTH], ids=["phone", "laptop"])
def test_an_organiser_sets_a_password_by_the_sms_code_and_signs_in(app, live_server, case_staff, width):
    from playwright.sync_api import expect

    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"
    with browser_page(live_server, width) as page:
        page.goto(f"{live_server}/console")
        expect(page).to_have_url(re.compile(r"/console/login"))
        page.get_by_role("link", name="Belum punya kata sandi, atau lupa?").click()
        page.get_by_label("Nomor HP").fill("0" + ORGANIZER[3:])
        page.get_by_role("button", name="Kirim kode").click()
        expect(page.get_by_role("status")).to_contain_text("kode sudah dikirim lewat SMS")

        (sms,) = outbox(ORGANIZER, CODE_PURPOSE)
        code = re.search(r"\b(\d{6})\b", sms.text).group(1)
        page.get_by_label("Kode dari SMS").fill(code)
        page.get_by_label("Kata sandi baru").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Simpan kata sandi").click()
        expect(page.get_by_role("status")).to_contain_text("Kata sandi sudah disimpan")

        page.get_by_label("Nomor HP").fill(ORGANIZER)
        page.get_by_label("Kata sandi").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page).to_have_url(f"{live_server}/console")
        expect(page.get_by_text("Siti Pengurus").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "nothing wider than the screen"
        page.screenshot(path=f"/tmp/console-signed-in-{width}.png", full_page=True)

        page.get_by_role("button", name="Keluar").click()
        expect(page).to_have_url(re.compile(r"/console/login"))
        page.goto(f"{live_server}/console")
        expect(page).to_have_url(re.compile(r"/console/login"))
