"""People's data rights (UU 27/2022) by SMS: DATA shows what is held, HAPUS erases it after a confirmation,
except what an open case needs (its organisers are told instead); both in every language and in BANTUAN."""

from __future__ import annotations

import pytest

from models import Case, Conversation, Message, Person, Staff
from models.gsm import sms_size
from models.settings import to_local
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register_by_sms
from tests.support.staff import COORDINATOR, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from tests.support.villages import seed_villages

PHONE = "+6281234567101"
LANGUAGE_WORDS = {"id": "ID", "jv": "JAWA", "en": "EN"}


@pytest.fixture
def phone(app, send_sms):
    seed_villages()
    return Phone(send_sms, PHONE)


def registered(phone: Phone, language: str) -> Person:
    register_by_sms(phone)
    phone.say(f"BAHASA {LANGUAGE_WORDS[language]}")
    return Person.for_phone(phone.number)


@pytest.mark.parametrize("language", ["id", "jv", "en"])
@pytest.mark.parametrize("word", ["DATA", "dataku", "MYDATA"])
def test_data_answers_with_everything_held_within_two_segments(phone, language, word):
    person = registered(phone, language)

    reply = phone.say(word)

    assert reply == text(
        "sms.data",
        language,
        name="Siti Aminah",
        village="Tracap",
        person_status=text("status_short.calon", language),
        person_country=text("country.hongkong", language),
        language_name=text(f"language.{language}", language),
        consent_date=f"{to_local(person.consent_at):%d/%m/%Y}",
    )
    assert "Siti Aminah" in reply and "Tracap" in reply
    assert sms_size(reply).segments <= 2


def test_data_from_a_number_the_service_knows_nothing_about(app, send_sms):
    assert Phone(send_sms, PHONE).say("DATA") == text("sms.data_none")


@pytest.mark.parametrize("language,confirm", [("id", "YA"), ("jv", "1"), ("en", "ya"), ("en", "YES"), ("jv", "inggih")])
@frozen_at(MONDAY_MORNING)
def test_hapus_asks_then_erases_answering_once(phone, drain, language, confirm):
    registered(phone, language)
    phone.say("INFO")
    assert phone.say("HAPUS") == text("rights.erase_confirm", language)
    drain()

    assert phone.say(confirm) == text("rights.erased", language), "exactly one reply"

    person = Person.for_phone(PHONE)
    assert (person.name, person.village, person.status, person.country, person.consent_at) == (None,) * 5
    assert (person.opted_out_at, person.language) == (stored(MONDAY_MORNING), language)
    assert not Conversation.select().where(Conversation.phone == PHONE).exists()
    settled = Message.select().where((Message.phone == PHONE) & Message.status.in_(("sent", "delivered")))
    assert settled.count() >= 8 and {m.text for m in settled} == {""}, "the history's texts are gone"
    assert phone.say("DATA") == text("sms.data_none", language)
    assert phone.say(confirm) != text("rights.erased", language), "a second YA erases nothing again"


@pytest.mark.parametrize("answer", ["TIDAK", "2", "ora"])
def test_hapus_answered_no_keeps_everything(phone, answer):
    registered(phone, "id")
    phone.say("HAPUS")
    assert phone.say(answer) == text("rights.kept")
    person = Person.for_phone(PHONE)
    assert (person.name, person.village, person.opted_out_at) == ("Siti Aminah", "Tracap", None)


def test_hapus_answered_with_anything_else_asks_again_and_erases_nothing(phone):
    registered(phone, "id")
    phone.say("HAPUS")
    assert phone.say("mungkin") == text("error.confirmation")
    assert Person.for_phone(PHONE).name == "Siti Aminah"
    assert phone.say("YA") == text("rights.erased")


def test_a_reporter_with_an_open_case_keeps_it_and_the_organisers_are_told(phone, case_staff, drain):
    registered(phone, "id")
    for answer in ("LAPOR", "1", "1", "4", "1", "1 gaji belum dibayar"):  # safe, myself, wages, Hong Kong, consent
        phone.say(answer)
    case = Case.get()
    phone.say("HAPUS")

    assert phone.say("YA") == text("rights.erase_case_open")

    person = Person.for_phone(PHONE)
    assert (person.name, person.village, person.opted_out_at) == ("Siti Aminah", "Tracap", None), "nothing erased"
    told = outbox(purpose="alert")
    told = [m for m in told if "HAPUS" in m.text]
    assert {m.phone for m in told} == {ORGANIZER, ORGANIZER_OTHER, COORDINATOR}, "never the official"
    assert told[0].text == text("staff.erase_request", phone=PHONE, codes=case.display_code)
    assert all(sms_size(m.text).segments <= 2 for m in told)
    drain()
    assert {Message.get_by_id(m.id).status for m in told} == {"sent"}

    case.resolve(Staff.get(phone=ORGANIZER))
    phone.say("HAPUS")
    assert phone.say("YA") == text("rights.erased"), "once the case is closed, the erasure goes ahead"
    assert Person.for_phone(PHONE).name is None
    closed = Case.get_by_id(case.id)
    assert (closed.story, closed.reporter_phone) == (None, ""), "the closed case keeps its figures, not the person"
    assert (closed.category, closed.status) == ("wages", "resolved")


@pytest.mark.parametrize("language", ["id", "jv", "en"])
def test_bantuan_names_data_and_hapus_within_two_gsm7_segments(phone, language):
    phone.say(f"BAHASA {LANGUAGE_WORDS[language]}")
    reply = phone.say("BANTUAN")
    assert "DATA" in reply and "HAPUS" in reply
    size = sms_size(reply)
    assert size.encoding == "gsm7" and size.segments <= 2
