"""Running the organisation from the console, in headless Chromium (issue 19's first "done when"): a coordinator adds
a village and an organiser; the organiser sets a password by the SMS code and creates a training; a villager signs up
by SMS (LATIH <code>); on the day the organiser ticks attendance and adds a walk-in, who says yes to the consent SMS;
30 days later the follow-up reaches both. Time moves with time-machine; jobs run by a real burst worker."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from models import Enrollment, Person, Staff, Training, database
from models.walk_in import WALK_IN_CONSENT_VERSION
from tests.support.browser import PHONE_WIDTH, browser_page, served
from tests.support.clock import JAKARTA
from tests.support.console import give_password
from tests.support.console_browser import add_village_and_organiser, set_password_by_sms_code, sign_in_browser
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR
from tests.support.texts import text

SET_UP = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
"""A Tuesday morning: the village, the organiser and the training are set up."""
DAY = dt.datetime(2026, 12, 10, 10, 30, tzinfo=JAKARTA)
"""The training's day, during it."""
FOLLOWUP_30 = dt.datetime(2027, 1, 9, 9, 0, tzinfo=JAKARTA)
"""30 days after the start's day, 09:00."""
ORGANISER, VILLAGER, WALK_IN = "+6281355500101", "+6281355500102", "+6281355500103"
PASSWORD = "kebun-kopi-kalibeber"


@pytest.fixture
def live_server(app):
    with served(app) as url:
        yield url


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


@pytest.mark.browser
def test_a_coordinator_sets_up_an_organiser_who_runs_a_training_whose_follow_up_reaches_everyone(
    app, live_server, case_staff, send_sms, drain, runner
):
    from playwright.sync_api import expect

    give_password(COORDINATOR)
    with browser_page(live_server, PHONE_WIDTH) as page:
        with at(SET_UP):
            assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"
            add_village_and_organiser(page, live_server, COORDINATOR, "Kalibeber", ORGANISER, "Rina Pengurus")
            organiser = Staff.get(Staff.phone == ORGANISER)
            assert (organiser.role, organiser.village) == ("organizer", "Kalibeber")
            set_password_by_sms_code(page, live_server, ORGANISER, PASSWORD)
            sign_in_browser(page, live_server, ORGANISER, PASSWORD)

            # The organiser creates the training.
            page.get_by_role("link", name="Pelatihan", exact=True).click()
            page.get_by_role("link", name="Tambah pelatihan").click()
            page.get_by_label("Kode").fill("kopi7")
            page.get_by_label("Judul").fill("Budidaya kopi arabika")
            page.get_by_label("Jenis").select_option("economic")
            page.get_by_label("Mulai").fill("2026-12-10T08:00")
            page.get_by_label("Tempat").fill("Balai Desa Kalibeber")
            page.get_by_label("Jumlah kursi").fill("20")
            page.get_by_role("button", name="Simpan").click()
            expect(page).to_have_url(re.compile(r"/console/trainings/KOPI7$"))
            expect(page.get_by_role("status")).to_contain_text("Pelatihan KOPI7 sudah ditambah")
            training = Training.by_code("KOPI7")
            assert (training.starts_label, training.place) == ("10/12 08:00", "Balai Desa Kalibeber")
            assert training.capacity == 20

            # A villager signs up by SMS: consent and a name first, then the seat.
            villager = Phone(send_sms, VILLAGER)
            assert villager.say("LATIH KOPI7").startswith(text("training.consent"))
            assert villager.say("1").startswith(text("register.name"))
            assert villager.say("Sri Lestari").startswith("Terdaftar: KOPI7")
            assert not database.in_transaction()
            page.reload()
            expect(page.get_by_role("heading", name="Peserta (1/20)")).to_be_visible()
            expect(page.get_by_text("Sri Lestari")).to_be_visible()

        with at(DAY):
            # On the day: the organiser ticks who came and adds a walk-in.
            sign_in_browser(page, live_server, ORGANISER, PASSWORD)
            page.goto(f"{live_server}/console/trainings/KOPI7")
            page.get_by_role("link", name="Catat kehadiran").click()
            page.get_by_role("checkbox", name=re.compile("Sri Lestari")).check()
            page.get_by_role("button", name="Simpan kehadiran").click()
            expect(page.get_by_role("status")).to_contain_text("1 orang dicatat hadir")
            page.get_by_label("Nama").fill("Wati")
            page.get_by_label("Nomor HP").fill("0813 5550 0103")
            page.get_by_role("button", name="Tambah dan catat hadir").click()
            expect(page.get_by_role("status")).to_contain_text("Wati dicatat hadir")
            expect(page.get_by_role("checkbox", name=re.compile("Wati"))).to_be_checked()
            page.screenshot(path="/tmp/console-training-attendance-360.png", full_page=True)
            page.goto(f"{live_server}/console/trainings/KOPI7")
            expect(page.locator("#measures")).to_contain_text("Hadir2")
            assert {e.phone: e.status for e in Enrollment.select()} == {VILLAGER: "attended", WALK_IN: "attended"}

            # The walk-in is asked by SMS and says yes.
            drain()
            [ask] = outbox(WALK_IN, "walk_in_consent")
            assert ask.status == "sent" and ask.text == text(
                "training.sms.walk_in_consent", code="KOPI7", title="Budidaya kopi arabika"
            )
            assert Phone(send_sms, WALK_IN).say("YA").startswith("Terima kasih, persetujuan Anda sudah dicatat")
            walk_in = Person.get(Person.phone == WALK_IN)
            assert (walk_in.name, walk_in.consent_version) == ("Wati", WALK_IN_CONSENT_VERSION)
            page.reload()
            expect(page.get_by_text("datang tanpa daftar, setuju").first).to_be_visible()

        # 30 days later, the follow-up reaches both.
        with at(FOLLOWUP_30 - dt.timedelta(minutes=1)):
            settle(drain, runner)
            assert outbox(purpose="followup") == []
        with at(FOLLOWUP_30):
            settle(drain, runner)
            asked = outbox(purpose="followup")
            assert sorted(m.phone for m in asked) == [VILLAGER, WALK_IN]
            assert {m.status for m in asked} == {"sent"}
            assert Phone(send_sms, WALK_IN).say("1") == text("followup.thanks")
            assert Phone(send_sms, VILLAGER).say("2") == text("followup.thanks_not_yet")
            sign_in_browser(page, live_server, ORGANISER, PASSWORD)
            page.goto(f"{live_server}/console/trainings/KOPI7")
            answers = page.locator("#followups")
            expect(answers).to_contain_text("Sudah menerapkan")
            expect(answers).to_contain_text("Belum")
            page.screenshot(path="/tmp/console-training-360.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, "nothing wider than the screen"
