"""The console's whole journey in headless Chromium (issue 18's "done when"): a report made by SMS in this test, an
organiser who sets a password by the SMS code, signs in, opens the new case, reads the story, takes it, replies and
refers it to Disnaker; the official who sees it and not an unreferred case; a village head who sees no person; and
a removed staff member whose session ends."""

from __future__ import annotations

import re

import pytest

from menus.features.console import CODE_PURPOSE
from models import Case, Person, Staff, database
from tests.support.browser import PHONE_WIDTH, browser_page, served
from tests.support.console import PASSWORD, give_password
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import OFFICIAL, ORGANIZER

REPORTER, UNSAFE_REPORTER = "+6281355500001", "+6281355500002"
VILLAGE_HEAD = "+6281200000022"
NEW_PASSWORD = "ladang-jagung-tracap"
STORY = "majikan menahan gaji"


@pytest.fixture
def live_server(app):
    with served(app) as url:
        yield url


@pytest.fixture
def staff(case_staff):
    Staff.update(agency="disnaker").where(Staff.phone == OFFICIAL).execute()
    Staff.create(phone=VILLAGE_HEAD, name="Pak Kades", role="official", village="Tracap")
    give_password(OFFICIAL)
    give_password(VILLAGE_HEAD)


def sign_in(page, base: str, phone: str, password: str = PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console/login")
    page.get_by_label("Nomor HP").fill(phone)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(f"{base}/console")


def status_of(base: str, page, path: str) -> int:
    """The status of a page as this browser's session asks for it (without showing it: Chromium logs a 404 it
    shows as a console error)."""
    return page.request.get(f"{base}{path}", max_redirects=0).status


@pytest.mark.browser
def test_a_report_by_sms_is_taken_replied_and_referred_in_the_console(app, live_server, staff, send_sms):
    from playwright.sync_api import expect

    reporter = Phone(send_sms, REPORTER)
    reporter.say(f"LAPOR {STORY}")
    for answer in ("1", "1", "4", "1"):  # safe; for myself; wages; Hong Kong
        reporter.say(answer)
    reporter.say("1")  # consent to refer
    case = Case.get(Case.reporter_phone == REPORTER)
    assert (case.category, case.safe_to_contact, case.story) == ("wages", True, STORY)
    Phone(send_sms, UNSAFE_REPORTER).say("LAPOR")
    Phone(send_sms, UNSAFE_REPORTER).say("2")  # not safe: never an SMS to this number again
    unsafe = Case.get(Case.reporter_phone == UNSAFE_REPORTER)
    person = Person.create(phone=REPORTER, name="Siti Aminah", village="Tracap", status="aktif", language="id")
    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"

    with browser_page(live_server, PHONE_WIDTH) as page:
        # The organiser's first password, by the code the SMS brought.
        page.goto(f"{live_server}/console/password")
        page.get_by_label("Nomor HP").fill("0" + ORGANIZER[3:])
        page.get_by_role("button", name="Kirim kode").click()
        expect(page.get_by_role("status")).to_contain_text("kode sudah dikirim lewat SMS")
        (sms,) = outbox(ORGANIZER, CODE_PURPOSE)
        code = re.search(r"\b(\d{6})\b", sms.text).group(1)
        page.get_by_label("Kode dari SMS").fill(code)
        page.get_by_label("Kata sandi baru").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Simpan kata sandi").click()
        expect(page.get_by_role("status")).to_contain_text("Kata sandi sudah disimpan")
        sign_in(page, live_server, ORGANIZER, NEW_PASSWORD)

        # The new case from today's list, its story, and the desk's actions.
        page.get_by_role("link", name=case.display_code).first.click()
        expect(page).to_have_url(re.compile(rf"/console/cases/{case.display_code}$"))
        expect(page.locator("blockquote.story")).to_have_text(STORY)
        news_before = len(outbox(REPORTER, "case_news"))
        page.get_by_role("button", name="Terima").click()
        expect(page.get_by_role("status").first).to_be_visible()
        assert len(outbox(REPORTER, "case_news")) == news_before + 1, "the safe reporter hears that it was taken"

        page.get_by_label("Balasan ke pelapor, kata netral (BALAS)").fill("Kami sudah terima pesan Anda")
        page.get_by_role("button", name="Balas").click()
        expect(page.get_by_role("status").first).to_be_visible()
        assert any("Kami sudah terima pesan Anda" in m.text for m in outbox(REPORTER, "case_reply")), "BALAS rules"

        page.locator("#refer-agency").select_option("disnaker")
        page.get_by_label("Rujuk ke instansi, dengan catatan (RUJUK)").fill("Mohon dicek gaji tiga bulan")
        page.get_by_role("button", name="Rujuk").click()
        expect(page.get_by_text("Mohon dicek gaji tiga bulan").first).to_be_visible()
        referred = Case.get_by_id(case.id)
        assert (referred.status, referred.referred_to, referred.referred_agency) == ("referred", OFFICIAL, "disnaker")
        assert outbox(OFFICIAL, "alert"), "the official hears of the referral by SMS"

        # An unsafe case: taking it sends its reporter nothing.
        page.goto(f"{live_server}/console/cases/{unsafe.display_code}")
        expect(page.get_by_role("alert")).to_contain_text("JANGAN SMS NOMOR INI")
        unsafe_before = len(outbox(UNSAFE_REPORTER))
        page.get_by_role("button", name="Terima").click()
        expect(page.get_by_role("status").first).to_be_visible()
        assert Case.get_by_id(unsafe.id).status == "acknowledged"
        assert len(outbox(UNSAFE_REPORTER)) == unsafe_before, "nothing goes to a number that is not safe"
        page.get_by_role("button", name="Keluar").click()

        # The Disnaker official sees the referred case, and an unreferred one does not exist for them.
        sign_in(page, live_server, OFFICIAL)
        expect(page.get_by_role("link", name=case.display_code).first).to_be_visible()
        page.goto(f"{live_server}/console/cases/{case.display_code}")
        expect(page.locator("blockquote.story")).to_have_text(STORY)  # the reporter consented
        assert status_of(live_server, page, f"/console/cases/{unsafe.display_code}") == 404
        page.get_by_role("button", name="Keluar").click()

        # The village head sees no person.
        sign_in(page, live_server, VILLAGE_HEAD)
        assert status_of(live_server, page, f"/console/people/{person.id}") == 404

        # Removed (as `staff remove` does), the village head's session ends at the next page.
        Staff.update(active=False).where(Staff.phone == VILLAGE_HEAD).execute()
        page.goto(f"{live_server}/console")
        expect(page).to_have_url(re.compile(r"/console/login"))
