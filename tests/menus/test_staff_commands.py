"""Staff commands: only from staff numbers, matched exactly, one parser; a bug in any SMS handler gets the apology."""

from __future__ import annotations

import pytest

from menus.feature import Feature, Keyword
from menus.features import default_registry, discover
from menus.keywords import match
from menus.registry import build_registry
from menus.staff_commands import StaffCommand, parse
from models import Conversation, Message, Person, Staff
from service import create_app
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.settings import TOKEN
from tests.support.texts import text

FEATURES = discover()
"""Every feature of the service, as the app finds them."""

STAFF = "+6281200000001"
WORKER = "+6281234567011"
USSD_CODE = "*384*123#"
ALIASES = default_registry().aliases


def todays_answer(body: str) -> str:
    """What a worker gets for a text that is no keyword: the help, with a hint when a keyword is near."""
    found = match(body, ALIASES)
    assert found.keyword is None
    suggestion = text("sms.suggestion", keyword=found.suggestion) if found.suggestion else ""
    return text("sms.unknown", suggestion=suggestion, code=USSD_CODE)


@pytest.fixture
def staff(app, send_sms):
    Staff.create(phone=STAFF, name="Siti Pengurus", role="organizer", village="Tracap")
    return Phone(send_sms, STAFF)


@pytest.fixture
def worker(app, send_sms):
    return Phone(send_sms, WORKER)


@pytest.mark.parametrize(
    "body,expected",
    [
        ("TERIMA K7-M3QX", StaffCommand("TERIMA", "K7M3QX", "")),
        ("terima k7m3qx", StaffCommand("TERIMA", "K7M3QX", "")),
        ("Catat k7-m3qx  sudah ditelepon, aman ", StaffCommand("CATAT", "K7M3QX", "sudah ditelepon, aman")),
        ("SELESAI: K7-M3QX gaji dibayar", StaffCommand("SELESAI", "K7M3QX", "gaji dibayar")),
        ("hadir lat-01 0812345678 +6285712345678", StaffCommand("HADIR", "LAT01", "0812345678 +6285712345678")),
        ("KASUS", StaffCommand("KASUS", "", "")),
        ("  detail ", StaffCommand("DETAIL", "", "")),
        ("TERIMAKASIH", None),
        ("TRIMA K7M3QX", None),
        ("Makasih, terima", None),
        ("", None),
    ],
)
def test_one_parser_reads_keyword_code_and_rest(body, expected):
    assert parse(body, default_registry().staff_commands) == expected


@pytest.mark.parametrize(
    "body",
    [
        "Terima kasih pak",
        "terima kasih",
        "Selesai kerja",
        "SELESAI kerja jam 5",
        "Buka puasa bersama",
        "Kasus apa ini?",
    ],
)
def test_a_workers_words_are_never_staff_commands(worker, body):
    assert worker.say(body) == todays_answer(body)
    assert not Staff.select().exists()


def test_a_worker_mid_registration_can_answer_selesai_kerja(worker, app):
    from models import Village

    Village.create(name="Tracap", position=0)
    worker.say("DAFTAR")
    worker.say("1")
    assert worker.say("Selesai") == "Desa Anda:\n1. Tracap\n2. Lainnya\n0. Kembali\n00. Menu utama", (
        "on the name screen 'Selesai' is a name"
    )


def test_staff_bantuan_lists_the_staff_commands(staff, worker):
    assert staff.say("BANTUAN") == text("staff.help")
    assert staff.say("help") == text("staff.help")
    assert worker.say("BANTUAN") == text("sms.help", code=USSD_CODE)


def test_staff_help_is_in_the_staff_members_language(staff):
    Staff.update(language="en").where(Staff.phone == STAFF).execute()
    assert staff.say("BANTUAN") == text("staff.help", "en")


def test_a_misspelt_staff_command_is_not_guessed(staff):
    assert staff.say("TRIMA K7M3QX") == todays_answer("TRIMA K7M3QX")


def test_staff_still_use_the_public_keywords(staff):
    assert staff.say("INFO AMAN") == text("info.safe.text")


def test_a_staff_number_that_left_is_treated_as_anyone(staff):
    Staff.update(active=False).where(Staff.phone == STAFF).execute()
    assert staff.say("TERIMA K7M3QX") == todays_answer("TERIMA K7M3QX")


# A bug in a handler ------------------------------------------------------------------------------------------


def _explode(turn, found) -> None:
    Person.contact(turn.phone).update_fields(name="Setengah Jalan")
    turn.reply("sms.optout")
    raise RuntimeError("a bug in a handler")


EXPLODING = Feature("exploding", keywords=(Keyword("MELEDAK", (), _explode),))


@pytest.fixture
def exploding_client(app, base_config):
    """The app with one more feature whose keyword handler has a bug."""
    exploding = create_app({**base_config, "FEATURES_REGISTRY": build_registry((*FEATURES, EXPLODING))})
    with exploding.app_context():
        yield exploding.test_client()


def _post(client, body: str, sms_id: str):
    return client.post(
        f"/webhooks/at/sms?token={TOKEN}",
        data={"from": WORKER, "to": "21234", "text": body, "id": sms_id, "date": "2026-11-28 06:04:45"},
    )


def test_a_handler_that_raises_gives_200_and_the_apology(exploding_client, caplog):
    response = _post(exploding_client, "MELEDAK", "boom-1")
    assert response.status_code == 200, "a 503 would make AT retry a bug every minute for 12 hours"
    assert [m.text for m in outbox(WORKER)] == [text("error.internal")]
    assert Message.get(Message.provider_id == "boom-1").direction == "in", "the SMS itself is kept"
    assert Person.for_phone(WORKER) is None, "what the handler wrote before the bug is undone"
    assert "a bug in a handler" in caplog.text
    assert _post(exploding_client, "MELEDAK", "boom-1").get_json()["status"] == "duplicate"
    assert len(outbox(WORKER)) == 1


def test_after_a_bug_the_conversation_is_as_it_was(exploding_client, app):
    _post(exploding_client, "DAFTAR", "c-1")
    assert Conversation.get(Conversation.phone == WORKER).screen == "register.consent"
    _post(exploding_client, "MELEDAK", "c-2")
    assert Conversation.get(Conversation.phone == WORKER).screen == "register.consent", (
        "leaving the conversation was part of what the bug undid"
    )
    assert _post(exploding_client, "1", "c-3").status_code == 200
    assert outbox(WORKER)[-1].text == "Tulis nama Anda:\n0. Kembali"
