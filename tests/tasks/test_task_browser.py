"""An organiser takes a mentoring task and closes it with an outcome on the console, in headless Chromium, at a phone's
width and a laptop's; without JavaScript doing anything (plain forms)."""

from __future__ import annotations

import re

import pytest

from models import Task, database
from tests.support.browser import LAPTOP_WIDTH, PHONE_WIDTH, browser_page, served
from tests.support.console import PASSWORD, give_password
from tests.support.registration import register
from tests.support.staff import ORGANIZER

PERSON = "+6281234567501"
OUTCOME = "Sudah ditelepon, ikut kelompok tani kopi"


@pytest.fixture
def live_server(app):
    with served(app) as url:
        yield url


@pytest.mark.browser
@pytest.mark.parametrize("width", [PHONE_WIDTH, LAPTOP_WIDTH], ids=["phone", "laptop"])
def test_an_organiser_takes_a_task_and_closes_it_with_an_outcome(app, live_server, case_staff, width):
    from playwright.sync_api import expect

    register(PERSON, name="Sri Lestari", village="Tracap")
    task = Task.open("mentoring", PERSON, "Tracap", "help", "enrollment:7")
    give_password(ORGANIZER)
    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"
    with browser_page(live_server, width) as page:
        page.goto(f"{live_server}/console/login")
        page.get_by_label("Nomor HP").fill(ORGANIZER)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page).to_have_url(f"{live_server}/console")

        page.get_by_role("link", name="Tugas", exact=True).click()
        expect(page).to_have_url(re.compile(r"/console/tasks"))
        row = page.locator(f"#task-{task.id}")
        expect(row).to_contain_text("Sri Lestari")
        expect(row).to_contain_text("Butuh bantuan menerapkan pelatihan")
        row.get_by_role("button", name=f"Ambil {task.id}").click()
        expect(page.get_by_role("status")).to_contain_text(f"Tugas {task.id} sekarang Anda pegang")

        page.get_by_role("link", name="Tugas saya").click()
        row = page.locator(f"#task-{task.id}")
        expect(row).to_contain_text(PERSON)
        row.get_by_label("Hasil (wajib)").fill(OUTCOME)
        row.get_by_role("button", name="Tutup dengan hasil ini").click()
        expect(page.get_by_role("status")).to_contain_text(f"Tugas {task.id} selesai")

        page.get_by_role("link", name="Selesai", exact=True).click()
        expect(page.locator(f"#task-{task.id}")).to_contain_text(OUTCOME)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "nothing wider than the screen"
        page.screenshot(path=f"/tmp/console-tasks-{width}.png", full_page=True)
    closed = Task.get_by_id(task.id)
    assert (closed.status, closed.holder, closed.outcome) == ("done", ORGANIZER, OUTCOME)
