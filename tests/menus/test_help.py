"""Help that fits the deployment: the USSD code only where the backend serves USSD (not on a phone's SIM), staff
help for the sender's role, and a staff member's "terima kasih" taken as thanks, not as case code KASIH."""

from __future__ import annotations

import pytest

from menus.features import default_registry
from menus.fitting import MAX_SEGMENTS
from menus.keywords import match
from models.gsm import is_gsm7_basic, sms_size
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER
from tests.support.texts import text

WORKER = "+6281234567401"
USSD_CODE = "*384*123#"
LANGUAGES = ("id", "jv", "en")
ORGANISERS_COMMANDS = ("KASUS", "DETAIL", "TERIMA", "CATAT", "BALAS", "RUJUK", "SELESAI", "BUKA", "HADIR")
OFFICIALS_COMMANDS = ("DETAIL", "TERIMA", "CATAT", "SELESAI")
ONLY_ORGANISERS = ("KASUS", "BALAS", "RUJUK", "BUKA", "HADIR")


def ordinary_answer(body: str, unknown: str = "sms.unknown") -> str:
    """What anyone gets for words that are no keyword: the unknown-message answer, with a hint when one is near."""
    found = match(body, default_registry().aliases)
    assert found.keyword is None
    suggestion = text("sms.suggestion", keyword=found.suggestion) if found.suggestion else ""
    return text(unknown, suggestion=suggestion, code=USSD_CODE)


class GatePhone:
    """A phone texting the office phone (SMS_BACKEND=smsgate): each SMS arrives as a signed `sms:received` event."""

    def __init__(self, client, fake, number: str) -> None:
        self.client, self.fake, self.number = client, fake, number

    def say(self, body: str) -> str | None:
        before = len(outbox(self.number, "reply"))
        payload, headers = self.fake.event("sms:received", self.fake.received_payload(self.number, body))
        assert self.client.post("/webhooks/smsgate", data=payload, headers=headers).status_code == 200
        new = outbox(self.number, "reply")[before:]
        return new[-1].text if new else None


# The USSD code only where USSD is served ---------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["outbox", "africastalking"])
def test_help_offers_the_ussd_code_where_the_backend_serves_it(app, send_sms, backend):
    app.config["SMS_BACKEND"] = backend
    worker = Phone(send_sms, WORKER)
    assert worker.say("BANTUAN") == text("sms.help", code=USSD_CODE)
    assert USSD_CODE in text("sms.help", code=USSD_CODE)


@pytest.mark.parametrize("backend", ["outbox", "africastalking"])
def test_an_unknown_message_offers_the_ussd_code_where_the_backend_serves_it(app, send_sms, backend):
    app.config["SMS_BACKEND"] = backend
    assert Phone(send_sms, WORKER).say("halo") == ordinary_answer("halo")


def test_on_a_phones_sim_help_names_no_ussd_code(client, use_smsgate):
    worker = GatePhone(client, use_smsgate, WORKER)
    reply = worker.say("BANTUAN")
    assert reply == text("sms.help.no_ussd")
    assert "*" not in reply and "tekan" not in reply.lower()


def test_on_a_phones_sim_an_unknown_message_names_no_ussd_code(client, use_smsgate):
    reply = GatePhone(client, use_smsgate, WORKER).say("halo")
    assert reply == ordinary_answer("halo", "sms.unknown.no_ussd")
    assert "*" not in reply and "tekan" not in reply.lower()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", ["sms.help", "sms.unknown"])
def test_the_texts_without_the_code_say_the_same_less_the_code(key, language):
    with_code = text(key, language, suggestion="", code=USSD_CODE)
    without = text(f"{key}.no_ussd", language, suggestion="")
    assert USSD_CODE in with_code and "{code}" not in without
    assert with_code.startswith(without.rstrip("."))


# Staff help for the sender's role ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number,key", [(ORGANIZER, "staff.help"), (COORDINATOR, "staff.help"), (OFFICIAL, "staff.help.official")]
)
def test_staff_get_the_help_of_their_role(case_staff, send_sms, number, key):
    assert Phone(send_sms, number).say("BANTUAN") == text(key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_organisers_help_names_every_organisers_command_and_fits(language):
    help_text = text("staff.help", language)
    assert [command for command in ORGANISERS_COMMANDS if command not in help_text] == []
    assert is_gsm7_basic(help_text) and sms_size(help_text).segments <= MAX_SEGMENTS


@pytest.mark.parametrize("language", LANGUAGES)
def test_officials_help_names_only_what_officials_do_and_fits(language):
    help_text = text("staff.help.official", language)
    assert [command for command in OFFICIALS_COMMANDS if command not in help_text] == []
    assert [command for command in ONLY_ORGANISERS if command in help_text] == []
    assert is_gsm7_basic(help_text) and sms_size(help_text).segments <= MAX_SEGMENTS


# A staff member's thanks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["Terima kasih pak", "terima kasih", "TERIMA KASIH!", "Selesai rapat", "Catat ya"])
def test_a_staff_members_ordinary_words_are_not_a_case_command(case_staff, send_sms, body):
    reply = Phone(send_sms, ORGANIZER).say(body)
    assert reply == ordinary_answer(body)
    assert "KASIH" not in reply and reply != text("case.unknown_code", code="KASIH")


@pytest.mark.parametrize("body,usage", [("TERIMA", "case.usage.terima"), ("selesai", "case.usage.selesai")])
def test_a_staff_command_without_a_code_still_gets_its_usage(case_staff, send_sms, body, usage):
    assert Phone(send_sms, ORGANIZER).say(body) == text(usage)


@pytest.mark.parametrize("typed", ["K7M3QX", "K7M-4R"])
def test_a_mistyped_code_is_still_a_command_named_as_typed(case_staff, send_sms, typed):
    assert Phone(send_sms, ORGANIZER).say(f"TERIMA {typed}") == text("case.unknown_code", code=typed)
