"""The phone simulator: its page and a number's conversation, and a person using it in headless Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from werkzeug.serving import make_server

from menus import catalog
from models import (
    Case,
    DigestDelivery,
    Enrollment,
    Message,
    Staff,
    Training,
    Village,
    database,
)
from models.settings import to_local
from tests.support.settings import TOKEN
from tests.support.texts import text

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
SCREENSHOT = "/tmp/simulator.png"
SCREENSHOT_LOOP = "/tmp/simulator-case-loop.png"
SCREENSHOT_TRAINING = "/tmp/simulator-training.png"
SCREENSHOT_DIGEST = "/tmp/simulator-digest.png"
SCREENSHOT_CONVERSATION = "/tmp/simulator-conversation.png"
WAIT_MS = 10_000
JAKARTA = ZoneInfo("Asia/Jakarta")
ORGANIZER = "+6283000000001"
OFFICIAL = "+6283000000002"
COORDINATOR = "+6283000000003"
NOT_NEUTRAL = re.compile(
    r"lapor|kasus|aduan|trafficking|perdagangan|kekerasan|pelecehan|dikurung|disekap|paspor|disnaker|dinas|polisi"
    r"|kbri|bp3mi|kbmi|migran|\btki\b",
    re.IGNORECASE,
)
"""DESIGN's neutral list ("The SMS report"): no SMS to a reporter's number carries one ("migran" is in the service's
name, "lapor" in laporan and pelapor, "aduan" in pengaduan)."""


def test_page_shows_the_service_code_and_works_offline(client):
    response = client.get("/simulator")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "*384*123#" in page
    assert "+85291234567" in page, "an abroad number among the quick picks"
    assert TOKEN in page, "the token is injected so the page can call the webhooks"
    assert "/webhooks/at/ussd" in page and "/webhooks/at/sms" in page
    assert "http://" not in page and "https://" not in page and "//cdn" not in page, "no external resources"


def test_page_offers_the_staff_numbers_labelled_by_role(client, runner):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    Staff.create(phone="+6283000000009", name="Lama", role="organizer", active=False)
    page = client.get("/simulator").get_data(as_text=True)
    picks = re.findall(r'data-phone="([^"]+)" title="[^"]*">([^<]+)</button>', page)
    assert picks[-3:] == [
        ("+6283000000001", "Pengurus +6283000000001"),
        ("+6283000000003", "Koordinator +6283000000003"),
        ("+6283000000002", "Pejabat +6283000000002"),
    ], "organisers first; inactive staff left out"
    assert "TERIMA &lt;kode&gt;" in page


def test_page_without_staff_offers_only_the_reporter_numbers(client):
    page = client.get("/simulator").get_data(as_text=True)
    assert 'class="pick staff"' not in page


def _at(message_id: int, created_at: dt.datetime, status: str | None = None) -> None:
    """Move a message to a stored (naive UTC) time, and a status."""
    changes = {Message.created_at: created_at, **({Message.status: status} if status else {})}
    Message.update(changes).where(Message.id == message_id).execute()


def test_conversation_shows_both_directions_oldest_first_in_local_time(client):
    reporter, organiser = "+6281234567890", ORGANIZER
    with database.atomic():
        lapor = Message.record_inbound(reporter, "LAPOR", "SIM-1")
        question = Message.queue_outbound(reporter, "Aman kami balas ke nomor ini?", "reply").message_id
        Message.queue_outbound(organiser, "BARU AB-12", "alert")
        answer = Message.record_inbound(reporter, "2", "SIM-2")
        end = Message.queue_outbound(reporter, "Pesan diterima, kode AB-12.", "reply").message_id
        Message.queue_outbound(organiser, "BARU AB-12 lagi", "alert")
        Message.record_refused(reporter, "Dilewati", "news", "quiet")
        assert lapor is not None and answer is not None
        _at(lapor.id, dt.datetime(2025, 12, 31, 16, 58, 30))
        _at(question, dt.datetime(2025, 12, 31, 16, 58, 31), "delivered")
        _at(answer.id, dt.datetime(2025, 12, 31, 17, 1, 0))
        _at(end, dt.datetime(2025, 12, 31, 17, 1, 1), "sent")

    response = client.get("/simulator/conversation?phone=081234567890")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["phone"], body["zone"], body["replies"]) == (reporter, "WIB", None)
    shown = [(m["direction"], m["text"], m["status"], m["day"], m["time"]) for m in body["messages"][:4]]
    assert shown == [
        ("in", "LAPOR", None, "31/12/2025", "23:58"),
        ("out", "Aman kami balas ke nomor ini?", "delivered", "31/12/2025", "23:58"),
        ("in", "2", None, "01/01/2026", "00:01"),
        ("out", "Pesan diterima, kode AB-12.", "sent", "01/01/2026", "00:01"),
    ], "both directions, oldest first, in WIB (the UTC day is still 31/12)"
    assert body["messages"][1] == {
        "id": question,
        "direction": "out",
        "text": "Aman kami balas ke nomor ini?",
        "purpose": "reply",
        "status": "delivered",
        "created_at": "2025-12-31T16:58:31Z",
        "local": "2025-12-31T23:58:31+07:00",
        "day": "31/12/2025",
        "time": "23:58",
    }
    assert body["messages"][0]["purpose"] is None, "an incoming SMS has no purpose or status of ours"
    assert [m["text"] for m in body["messages"][4:]] == ["Dilewati"], "the organiser's alerts are not in it"

    def replies(phone: str, sms: str) -> int | None:
        return client.get("/simulator/conversation", query_string={"phone": phone, "sms": sms}).get_json()["replies"]

    assert (replies(reporter, "SIM-1"), replies(reporter, "SIM-2")) == (1, 1), (
        "what was queued for this number in answer to its SMS: not the organiser's alerts, not a refused one"
    )
    assert replies(organiser, "SIM-2") is None and replies(reporter, "SIM-9") is None, "not this number's SMS"


def test_conversation_is_empty_for_a_number_abroad_with_no_messages(client):
    response = client.get("/simulator/conversation", query_string={"phone": "+85291234567"})
    assert response.status_code == 200
    assert response.get_json() == {"phone": "+85291234567", "zone": "WIB", "messages": [], "replies": None}


def test_conversation_shows_the_latest_fifty_messages(client):
    with database.atomic():
        for number in range(55):
            Message.queue_outbound("+6281234567890", f"Pesan {number}", "reply")
    messages = client.get("/simulator/conversation?phone=%2B6281234567890").get_json()["messages"]
    assert len(messages) == 50
    assert (messages[0]["text"], messages[-1]["text"]) == ("Pesan 5", "Pesan 54"), "the latest, oldest first"


@pytest.mark.parametrize("query", ["", "?phone=", "?phone=abc", "?phone=123", "?phone=%2B99912345"])
def test_conversation_rejects_a_bad_phone_naming_the_field(client, query):
    response = client.get(f"/simulator/conversation{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == "phone"


def test_simulator_is_off_when_disabled(base_config):
    from service import create_app

    app = create_app({**base_config, "SIMULATOR_ENABLED": False})
    client = app.test_client()
    assert client.get("/simulator").status_code == 404
    assert client.get("/simulator/conversation?phone=081234567890").status_code == 404


def test_simulator_is_off_by_default(base_config, tmp_path):
    from service import create_app
    from service.config import load_config

    settings = load_config(tmp_path, env={})
    assert settings["SIMULATOR_ENABLED"] is False
    app = create_app({**base_config, "SIMULATOR_ENABLED": settings["SIMULATOR_ENABLED"]})
    client = app.test_client()
    assert client.get("/simulator").status_code == 404
    assert client.get("/simulator/conversation?phone=081234567890").status_code == 404


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1", "127.0.0.1:5000", "LOCALHOST:8080"])
def test_simulator_answers_a_browser_on_this_machine(client, host):
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/simulator", headers={"Host": host}, environ_base=environ).status_code == 200
    assert (
        client.get(
            "/simulator/conversation?phone=081234567890", headers={"Host": host}, environ_base=environ
        ).status_code
        == 200
    )
    assert client.get("/simulator", headers={"Host": host}, environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def _private_message() -> None:
    with database.atomic():
        Message.queue_outbound("+6281234567890", "Kasus KM-7 Anda: paspor ditahan majikan", "reply")


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example",
        "attacker.example:5000",
        "localhost.attacker.example",
        "127.0.0.1.nip.io:5000",
        "0.0.0.0:5000",
        "10.0.0.5:5000",
        "",
    ],
)
def test_dns_rebinding_gets_404_and_no_token_or_conversation(client, host):
    # A page on attacker.example whose name now resolves to 127.0.0.1: the browser is local, the Host is not.
    _private_message()
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    page = client.get("/simulator", headers={"Host": host}, environ_base=environ)
    assert page.status_code == 404 and TOKEN not in page.get_data(as_text=True)
    inbox = client.get("/simulator/conversation?phone=081234567890", headers={"Host": host}, environ_base=environ)
    assert inbox.status_code == 404 and "paspor" not in inbox.get_data(as_text=True)


@pytest.mark.parametrize("address", ["203.0.113.7", "192.168.1.20", "10.0.0.2", "2001:db8::1", "::ffff:10.0.0.2"])
def test_a_client_elsewhere_gets_404_even_naming_localhost(client, address):
    # HOST=0.0.0.0 or a public port: the Host header is whatever the stranger sends.
    _private_message()
    for path in (
        "/simulator",
        "/simulator/conversation?phone=081234567890",
        "/simulator/conversation?phone=%2B6281234567890",
    ):
        response = client.get(path, headers={"Host": "localhost"}, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 404, path
        assert TOKEN not in response.get_data(as_text=True) and "paspor" not in response.get_data(as_text=True)


def test_behind_a_proxy_forwarded_headers_do_not_make_a_client_local(client):
    # A proxy on the same machine connects from loopback, but names the public host and the real client.
    _private_message()
    response = client.get(
        "/simulator/conversation?phone=081234567890",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"Host": "kawalmigran.example.org", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "localhost"},
    )
    assert response.status_code == 404 and "paspor" not in response.get_data(as_text=True)


def ussd_choose(page, choice: str) -> None:
    """Answer the open USSD screen with `choice`: a number as it is, a label by its option's number, turning pages
    ("98. Berikutnya") until the label is offered."""
    from playwright.sync_api import expect

    screen, answer = page.locator("#screen-text"), page.get_by_label("Jawaban")
    send = page.get_by_role("button", name="Kirim", exact=True)
    for _turn in range(4):
        shown = screen.inner_text()
        found = None if choice.isdigit() else re.search(rf"^(\d+)\. {re.escape(choice)}$", shown, re.MULTILINE)
        if choice.isdigit() or found:
            answer.fill(found.group(1) if found else choice)
            send.click()
            return
        assert re.search(r"^98\. ", shown, re.MULTILINE), f"{choice!r} is not offered on {shown!r}"
        answer.fill("98")
        send.click()
        expect(screen).not_to_have_text(shown, timeout=WAIT_MS)
    raise AssertionError(f"{choice!r} not found within 4 pages")


@pytest.fixture
def live_server(app):
    """Serve the test app on a free loopback port from a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="simulator-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


@contextmanager
def simulator_page(live_server: str, width: int = 1200) -> Iterator:
    """The simulator open in headless Chromium, offline only; afterwards, no outside request and no script error."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    base = urlsplit(live_server)
    outside_requests: list[str] = []
    script_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900})

            def offline_only(route) -> None:
                if urlsplit(route.request.url).netloc == base.netloc:
                    route.continue_()
                else:
                    outside_requests.append(route.request.url)
                    route.abort()

            context.route("**/*", offline_only)
            page = context.new_page()
            page.on("pageerror", lambda error: script_errors.append(str(error)))
            page.goto(f"{live_server}/simulator")
            yield page
        finally:
            browser.close()
    assert outside_requests == [], "the page must work offline"
    assert script_errors == [], "no JavaScript errors on the page"


@pytest.mark.browser
def test_a_person_registers_by_ussd_and_reads_sms_in_the_simulator(app, live_server, drain):
    from playwright.sync_api import expect

    Village.create(name="Tracap", position=0)
    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"

    with simulator_page(live_server) as page:
        screen = page.locator("#screen-text")
        inbox = page.locator("#inbox")
        expect(page.locator("#service-code")).to_have_text("*384*123#")

        page.get_by_label("Nomor HP yang dipakai").fill("abc")
        page.get_by_label("Nomor HP yang dipakai").press("Tab")
        page.get_by_role("button", name="Panggil *384*123#").click()
        expect(page.locator("#error")).to_contain_text("phoneNumber", timeout=WAIT_MS)
        expect(page.locator("#error")).to_contain_text("phone ", timeout=WAIT_MS)

        page.get_by_role("button", name="+85291234567").click()
        page.get_by_role("button", name="Panggil *384*123#").click()
        expect(screen).to_contain_text("KawalMigran", timeout=WAIT_MS)
        page.get_by_role("button", name="Batal").click()
        expect(page.locator("#screen-state")).to_have_text("Sesi dibatalkan")

        page.get_by_label("Nomor HP yang dipakai").fill("081298765432")
        page.get_by_label("Nomor HP yang dipakai").press("Tab")
        expect(page.locator("#inbox-phone")).to_have_text("+6281298765432", timeout=WAIT_MS)

        page.get_by_role("button", name="Panggil *384*123#").click()
        expect(screen).to_contain_text("KawalMigran", timeout=WAIT_MS)
        answer = page.get_by_label("Jawaban")
        send = page.get_by_role("button", name="Kirim", exact=True)
        for value, next_screen in [
            ("1", "Setuju?"),
            ("1", "Tulis nama"),
            ("siti aminah", "1. Tracap"),
            ("1", catalog.text("register.status", "id")),
            ("1", "Negara tujuan:"),
            ("1", "Terima kasih"),
        ]:
            answer.fill(value)
            send.click()
            expect(screen).to_contain_text(next_screen, timeout=WAIT_MS)
        expect(page.locator("#screen-state")).to_have_text("Sesi selesai")
        assert screen.inner_text().startswith("Terima kasih, Siti Aminah."), "END prefix stripped"
        expect(answer).to_be_disabled()
        expect(answer).to_have_value("")

        assert drain(), "the welcome SMS was queued"
        welcome = inbox.locator("li.message", has_text="Selamat datang")
        expect(welcome).to_be_visible(timeout=WAIT_MS)
        expect(welcome.locator(".purpose")).to_have_text("welcome")
        expect(welcome.locator(".status")).to_have_text("sent", timeout=WAIT_MS)

        page.get_by_label("Isi SMS").fill("INFO")
        page.get_by_role("button", name="Kirim SMS").click()
        expect(page.locator("#status-line")).to_contain_text("SMS terkirim", timeout=WAIT_MS)
        assert drain(), "the reply to INFO was queued"
        info_reply = catalog.text("sms.info.menu", "id")
        expect(inbox.locator("li.message.out").last).to_contain_text(info_reply, timeout=WAIT_MS)
        expect(inbox.locator("li.message.out").first).to_contain_text("Selamat datang")
        expect(inbox.locator("li.message.in .text")).to_have_text(["INFO"])
        expect(page.locator("#error")).to_have_text("")

        page.get_by_role("button", name="Muat ulang").click()
        expect(inbox.locator("li.message")).to_have_count(3)

        # The same registration by SMS, from a worker's number abroad: that phone's screen, status and conversation.
        page.get_by_role("button", name="+85291234567").click()
        expect(page.locator("#inbox-phone")).to_have_text("+85291234567", timeout=WAIT_MS)
        expect(page.locator("#screen-state")).to_have_text("Siap")
        expect(screen).to_have_text('Tekan "Panggil *384*123#" untuk mulai.')
        expect(page.locator("#status-line")).to_have_text("")
        for _count, (body, reply) in enumerate(
            [
                ("daftar", "Setuju?"),
                ("1", "Tulis nama"),
                ("Wati", "1. Tracap"),
                ("1", catalog.text("register.status", "id")),
                ("2", "Negara tempat kerja"),
                ("1", "Terima kasih, Wati."),
            ],
            start=1,
        ):
            page.get_by_label("Isi SMS").fill(body)
            page.get_by_role("button", name="Kirim SMS").click()
            expect(page.locator("#status-line")).to_contain_text("SMS terkirim", timeout=WAIT_MS)
            assert drain(), f"a reply to {body!r} was queued"
            expect(inbox.locator("li.message.out").last).to_contain_text(reply, timeout=WAIT_MS)
        welcome_abroad = inbox.locator("li.message", has_text="Selamat datang di KawalMigran, Wati.")
        expect(welcome_abroad).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=SCREENSHOT, full_page=True)

    assert Message.select().where((Message.direction == "in") & Message.text_is("INFO")).count() == 1


@pytest.mark.browser
def test_a_person_plays_the_case_loop_in_the_simulator(app, runner, live_server, drain):
    """Report by USSD on one number, read the alert on the organiser's, TERIMA by SMS from it, news on the
    reporter's."""
    from playwright.sync_api import expect

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"

    with simulator_page(live_server) as page:
        screen, inbox = page.locator("#screen-text"), page.locator("#inbox")
        phone = page.get_by_label("Nomor HP yang dipakai")
        staff_picks = page.get_by_role("group", name="Nomor staf (demo)")
        expect(staff_picks.get_by_role("button")).to_have_text(
            ["Pengurus +6283000000001", "Koordinator +6283000000003", "Pejabat +6283000000002"]
        )

        # A worker reports unpaid wages in Hong Kong by USSD.
        phone.fill("081298765431")
        phone.press("Tab")
        expect(page.locator("#inbox-phone")).to_have_text("+6281298765431", timeout=WAIT_MS)
        page.get_by_role("button", name="Panggil *384*123#").click()
        expect(screen).to_contain_text(catalog.text("main.report", "id"), timeout=WAIT_MS)
        answer = page.get_by_label("Jawaban")
        send = page.get_by_role("button", name="Kirim", exact=True)
        for value, next_screen in [
            ("2", "report.for_whom"),
            ("1", "report.category"),
            ("1", "report.country"),
            ("1", "report.safe"),
            ("1", "report.consent"),
            ("1", "report.story"),
        ]:
            answer.fill(value)
            send.click()
            expect(screen).to_contain_text(catalog.text(next_screen, "id").split("\n")[0], timeout=WAIT_MS)
        answer.fill("Majikan tidak bayar gaji 3 bulan")
        send.click()
        expect(page.locator("#screen-state")).to_have_text("Sesi selesai", timeout=WAIT_MS)
        found = re.search(r"Kode: ([A-Z0-9-]+)\.", screen.inner_text())
        assert found, f"no case code on the END screen: {screen.inner_text()!r}"
        code = found.group(1)
        case = Case.get()
        assert code == case.display_code and screen.inner_text() == catalog.text(
            "report.done", "id", {"case_code": code}
        )

        assert drain(), "the alert and the confirmation were queued"
        confirmation = catalog.text("case.confirmation", "id", {"code": code})
        expect(inbox.locator("li.message.out").last).to_contain_text(confirmation, timeout=WAIT_MS)

        # The organiser reads the alert and acknowledges it by SMS.
        staff_picks.get_by_role("button", name=ORGANIZER).click()
        expect(page.locator("#inbox-phone")).to_have_text(ORGANIZER, timeout=WAIT_MS)
        alert = inbox.locator("li.message", has_text=f"TERIMA {code}")
        expect(alert).to_be_visible(timeout=WAIT_MS)
        expect(alert.locator(".purpose")).to_have_text("alert")
        page.get_by_label("Isi SMS").fill(f"TERIMA {code}")
        page.get_by_role("button", name="Kirim SMS").click()
        expect(page.locator("#status-line")).to_have_text(
            "SMS terkirim (1 balasan diantrekan untuk nomor ini).", timeout=WAIT_MS
        )  # the news to the reporter, queued with it, is another number's
        assert drain(), "the answer to TERIMA was queued"
        expect(inbox.locator("li.message.out")).to_have_count(2, timeout=WAIT_MS)
        expect(inbox.locator("li.message.in .text")).to_have_text([f"TERIMA {code}"])

        # The reporter's phone gets the news.
        phone.fill("081298765431")
        phone.press("Tab")
        expect(page.locator("#inbox-phone")).to_have_text("+6281298765431", timeout=WAIT_MS)
        news = catalog.text("case.news.acknowledged", "id", {"code": code})
        expect(inbox.locator("li.message.out").last).to_contain_text(news, timeout=WAIT_MS)
        expect(page.locator("#error")).to_have_text("")
        page.screenshot(path=SCREENSHOT_LOOP, full_page=True)


@pytest.mark.browser
def test_a_stranger_signs_up_for_a_training_in_the_simulator(app, runner, live_server, drain):
    """Pelatihan by USSD on a new number: the demo seed's training, consent and a name, the END with the code,
    then the confirmation SMS in that number's inbox."""
    from playwright.sync_api import expect

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    training = Training.upcoming().first()
    assert training.code == "KOPI1", "the demo seed's first training"
    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"

    with simulator_page(live_server) as page:
        screen, inbox = page.locator("#screen-text"), page.locator("#inbox")
        phone = page.get_by_label("Nomor HP yang dipakai")
        phone.fill("081298765433")
        phone.press("Tab")
        expect(page.locator("#inbox-phone")).to_have_text("+6281298765433", timeout=WAIT_MS)

        page.get_by_role("button", name="Panggil *384*123#").click()
        expect(screen).to_contain_text(f"3. {catalog.text('main.training', 'id')}", timeout=WAIT_MS)
        answer = page.get_by_label("Jawaban")
        send = page.get_by_role("button", name="Kirim", exact=True)
        for value, next_screen in [
            ("3", [f"1. {training.code} {training.title}"]),
            ("1", [f"{training.starts_label}, {training.place}", f"1. {catalog.text('training.join', 'id')}"]),
            ("1", [catalog.text("training.consent", "id")]),
            ("1", [catalog.text("register.name", "id").split("\n")[0]]),
        ]:
            answer.fill(value)
            send.click()
            for shown in next_screen:
                expect(screen).to_contain_text(shown, timeout=WAIT_MS)
        answer.fill("sri lestari")
        send.click()
        expect(page.locator("#screen-state")).to_have_text("Sesi selesai", timeout=WAIT_MS)
        assert screen.inner_text() == catalog.text(
            "training.signed",
            "id",
            {
                "training_code": training.code,
                "training_title": training.title,
                "training_date": training.starts_label,
                "training_place": training.place,
            },
        ), "END prefix stripped"
        assert f"BATAL {training.code}" in screen.inner_text()
        expect(answer).to_be_disabled()

        assert drain(), "the confirmation SMS was queued"
        confirmation = inbox.locator(
            "li.message",
            has_text=catalog.text(
                "training.sms.confirmed",
                "id",
                {
                    "code": training.code,
                    "title": training.title,
                    "date": training.starts_label,
                    "place": training.place,
                },
            ),
        )
        expect(confirmation).to_be_visible(timeout=WAIT_MS)
        expect(confirmation.locator(".purpose")).to_have_text("confirmation")
        expect(confirmation.locator(".status")).to_have_text("sent", timeout=WAIT_MS)
        expect(inbox.locator("li.message")).to_have_count(1)
        expect(page.locator("#error")).to_have_text("")
        page.screenshot(path=SCREENSHOT_TRAINING, full_page=True)

    enrollment = Enrollment.get(Enrollment.phone == "+6281298765433")
    assert (enrollment.training.code, enrollment.status) == (training.code, "signed_up")
    assert enrollment.name == "Sri Lestari", "the name typed, stored with the consent"


SATURDAY_AFTERNOON = dt.datetime(2026, 11, 28, 14, 0, tzinfo=JAKARTA)
"""When the digest test's villager registers and reports: the case is due a day later (Sunday 14:00), and the
officials are told of it two days later (Monday 14:00), after the digest."""
DIGEST_CRON = dt.datetime(2026, 11, 30, 7, 0, tzinfo=JAKARTA)
"""The Monday 07:00 after it, when the cron sends last week's (23-29/11) digests."""


@pytest.mark.browser
@time_machine.travel(SATURDAY_AFTERNOON, tick=True)
def test_the_official_reads_the_weekly_digest_in_the_simulator(app, runner, live_server, drain):
    """A registration and a report by USSD on a Saturday afternoon (the clock starts there and runs, for the live
    server too: it is a thread of this process); `digest send` run as the cron runs it, the Monday 07:00 after
    (time-machine stops the clock there for that command and its worker: the case is a day overdue, its first
    escalation goes to organisers and coordinators, the officials' is not due yet); the official's staff pick
    shows the digest alone, numbers only."""
    from playwright.sync_api import expect

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"
    story = "Majikan tidak bayar gaji 3 bulan"

    with simulator_page(live_server) as page:
        screen, inbox = page.locator("#screen-text"), page.locator("#inbox")
        phone = page.get_by_label("Nomor HP yang dipakai")
        answer = page.get_by_label("Jawaban")
        send = page.get_by_role("button", name="Kirim", exact=True)

        # A villager of Tracap registers (calon, Hong Kong), then reports unpaid wages, both by USSD.
        phone.fill("081298765434")
        phone.press("Tab")
        expect(page.locator("#inbox-phone")).to_have_text("+6281298765434", timeout=WAIT_MS)
        page.get_by_role("button", name="Panggil *384*123#").click()
        expect(screen).to_contain_text("KawalMigran", timeout=WAIT_MS)
        for value, next_screen in [
            ("1", "Setuju?"),
            ("1", "Tulis nama"),
            ("dewi sartika", "1. Tracap"),
            ("1", catalog.text("register.status", "id")),
            ("1", "Negara tujuan:"),
            ("1", "Terima kasih"),
        ]:
            answer.fill(value)
            send.click()
            expect(screen).to_contain_text(next_screen, timeout=WAIT_MS)
        expect(page.locator("#screen-state")).to_have_text("Sesi selesai", timeout=WAIT_MS)

        page.get_by_role("button", name="Panggil *384*123#").click()
        expect(screen).to_contain_text(catalog.text("main.report", "id"), timeout=WAIT_MS)
        for value, next_screen in [
            ("2", "report.for_whom"),
            ("1", "report.category"),
            (catalog.text("case.category.wages", "id"), "report.country"),
            ("1", "report.safe"),
            ("1", "report.consent"),
            ("1", "report.story"),
        ]:
            ussd_choose(page, value)
            expect(screen).to_contain_text(catalog.text(next_screen, "id").split("\n")[0], timeout=WAIT_MS)
        answer.fill(story)
        send.click()
        expect(page.locator("#screen-state")).to_have_text("Sesi selesai", timeout=WAIT_MS)
        case = Case.get()
        assert (case.village, case.category, case.severity) == ("Tracap", "wages", "normal")
        assert drain(), "the welcome SMS, the organiser's alert and the confirmation were queued"

        # The Monday 07:00 after, when the cron sends last week's digests: `digest send`, then a worker.
        with time_machine.travel(DIGEST_CRON, tick=False):
            result = runner.invoke(args=["digest", "send"])
            assert result.exit_code == 0, result.output
            assert "week 23-29/11: 2 digests written now" in result.output, "the official and the coordinator"
            assert drain(), "the digests (and the case's first escalation) were queued"
        assert sorted(d.phone for d in DigestDelivery.select()) == [OFFICIAL, COORDINATOR], "organisers get none"
        assert Case.get_by_id(case.id).escalation_level == 1, "organisers, coordinators told again; officials not yet"

        digest = (
            "KawalMigran minggu 23-29/11 (semua desa): Daftar baru 1 (Calon PMI 1). Laporan 1, mendesak 0 (Gaji 1). "
        ) + catalog.text("digest.cases", "id", {"open": "1", "overdue": "1", "referred": "0", "resolved": "0"})
        for secret in ("Dewi", "Sartika", "+6281298765434", "81298765434", case.display_code, case.code, story):
            assert secret not in digest, "numbers only"

        # The official's staff pick: the digest is in that number's inbox, sent (07:00 is not quiet hours).
        page.get_by_role("group", name="Nomor staf (demo)").get_by_role("button", name=OFFICIAL).click()
        expect(page.locator("#inbox-phone")).to_have_text(OFFICIAL, timeout=WAIT_MS)
        expect(inbox.locator("li.message")).to_have_count(1, timeout=WAIT_MS)
        received = inbox.locator("li.message").first
        expect(received.locator(".text")).to_have_text(digest)
        expect(received.locator(".purpose")).to_have_text("digest")
        expect(received.locator(".status")).to_have_text("sent")
        expect(page.locator("#error")).to_have_text("")
        page.screenshot(path=SCREENSHOT_DIGEST, full_page=True)


@pytest.mark.browser
def test_an_unsafe_sms_report_reads_as_a_conversation_in_the_simulator(app, runner, live_server, drain):
    """A worker in Hong Kong, on a phone 360 px wide, sends LAPOR; the safety question arrives; "2" (not safe);
    the neutral end arrives with the code. The conversation reads as the phone's: both directions, oldest first,
    times in WIB, the status of what the service sent, and two SMS from the service, neither naming a report."""
    from playwright.sync_api import expect

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0, "organisers, so the report alerts other numbers"
    reporter = "+85291234567"
    assert not database.in_transaction(), "the browser's requests must not wait on this thread's transaction"

    with simulator_page(live_server, width=360) as page:
        inbox, sms = page.locator("#inbox"), page.get_by_label("Isi SMS")
        page.get_by_role("button", name=reporter).click()
        expect(page.locator("#inbox-phone")).to_have_text(reporter, timeout=WAIT_MS)
        for body in ("LAPOR", "2"):
            sms.fill(body)
            page.get_by_role("button", name="Kirim SMS").click()
            expect(page.locator("#status-line")).to_have_text(
                "SMS terkirim (1 balasan diantrekan untuk nomor ini).", timeout=WAIT_MS
            )
            assert drain(), f"the answer to {body!r} was queued"
        messages = inbox.locator("li.message")
        expect(messages).to_have_count(4, timeout=WAIT_MS)
        expect(inbox.locator("li.message.out .status")).to_have_text(["sent", "sent"], timeout=WAIT_MS)
        page.screenshot(path=SCREENSHOT_CONVERSATION, full_page=True)

        stored = list(Message.select().where(Message.phone == reporter).order_by(Message.id))
        expect(messages).to_have_class([re.compile(rf"\b{m.direction}\b") for m in stored])
        assert [m.direction for m in stored] == ["in", "out", "in", "out"], "the reporter's SMS between the service's"
        expect(inbox.locator("li.message.in .status")).to_have_count(0)
        expect(inbox.locator("li.message time")).to_have_text([f"{to_local(m.created_at):%H:%M}" for m in stored])
        expect(page.locator("#zone")).to_have_text("WIB")
        expect(page.locator("#error")).to_have_text("")

        case = Case.get_or_none()
        code = case.display_code if case else "(no case opened)"
        question, end = text("report.sms.safe"), text("report.sms.end", case_code=code)
        expect(inbox.locator("li.message .text")).to_have_text(["LAPOR", question, "2", end])
        from_service = inbox.locator("li.message.out .text").all_inner_texts()
        assert [word for said in from_service for word in NOT_NEUTRAL.findall(said)] == [], "neutral words only"
