"""What staff do in the console through a browser (Playwright pages from `tests.support.browser.browser_page`):
sign in, set a first password with the code the SMS brought, and a coordinator setting up a village and an
organiser on the staff pages. Labels are the Indonesian ones (the console's default language)."""

from __future__ import annotations

import re

from menus.features.console import CODE_PURPOSE
from tests.support.console import PASSWORD
from tests.support.outbox import outbox


def sign_in_browser(page, base: str, phone: str, password: str = PASSWORD) -> None:
    """Sign in on `/console/login` and land on today's page."""
    from playwright.sync_api import expect

    page.goto(f"{base}/console/login")
    page.get_by_label("Nomor HP").fill(phone)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(f"{base}/console")


def sign_out_browser(page) -> None:
    """Sign out with the header's button."""
    page.get_by_role("button", name="Keluar").click()


def set_password_by_sms_code(page, base: str, phone: str, password: str) -> None:
    """A staff member's first password: ask for the code, read it from the SMS the service wrote to `phone` (E.164),
    type it with the new password. Leaves the browser on the sign-in page."""
    from playwright.sync_api import expect

    page.goto(f"{base}/console/password")
    page.get_by_label("Nomor HP").fill(phone)
    page.get_by_role("button", name="Kirim kode").click()
    expect(page.get_by_role("status")).to_contain_text("kode sudah dikirim lewat SMS")
    sms = outbox(phone, CODE_PURPOSE)[-1]
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    page.get_by_label("Kode dari SMS").fill(code)
    page.get_by_label("Kata sandi baru").fill(password)
    page.get_by_role("button", name="Simpan kata sandi").click()
    expect(page.get_by_role("status")).to_contain_text("Kata sandi sudah disimpan")


def add_village(page, base: str, name: str) -> None:
    """A signed-in coordinator adds a village on `/console/villages` (from the staff page's link)."""
    from playwright.sync_api import expect

    page.goto(f"{base}/console")
    page.get_by_role("link", name="Pengurus", exact=True).click()
    page.get_by_role("link", name="Desa", exact=True).click()
    page.get_by_label("Nama desa").fill(name)
    page.get_by_role("button", name="Tambah desa").click()
    expect(page.get_by_role("status")).to_contain_text("Desa sudah ditambah")
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()


def add_staff_member(page, base: str, phone: str, name: str, role: str = "Pengurus", village: str = "") -> None:
    """A signed-in coordinator adds a staff member on `/console/staff/new`: `role` as the form labels it
    (Pengurus, Koordinator, Petugas dinas), `village` as the village list spells it (empty: none)."""
    from playwright.sync_api import expect

    page.goto(f"{base}/console/staff")
    page.get_by_role("link", name="Tambah pengurus").click()
    page.get_by_label("Nomor HP").fill(phone)
    page.get_by_label("Nama", exact=True).fill(name)
    page.get_by_label("Peran").select_option(label=role)
    if village:
        page.get_by_label("Desa", exact=True).select_option(label=village)
    page.get_by_role("button", name="Tambah pengurus").click()
    expect(page.get_by_role("status")).to_contain_text("Pengurus sudah ditambah")
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()


def add_village_and_organiser(
    page, base: str, coordinator: str, village: str, phone: str, name: str, password: str = PASSWORD
) -> None:
    """The coordinator (`coordinator`: their E.164 number, with `password` set) signs in, adds `village` and an
    organiser of that village (`phone`, `name`), and signs out; the organiser can then set a password
    (`set_password_by_sms_code`) and sign in."""
    sign_in_browser(page, base, coordinator, password)
    add_village(page, base, village)
    add_staff_member(page, base, phone, name, "Pengurus", village)
    sign_out_browser(page)
