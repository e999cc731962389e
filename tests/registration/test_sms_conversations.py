"""Whole SMS conversations: keywords, registration by SMS, language, opt-out, replays, size limits, Redis away."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from menus.features import default_registry
from menus.keywords import match
from models import Conversation, Message, Person, utcnow
from models.gsm import is_gsm7_basic, non_gsm7_basic, sms_size
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.redis_switch import use_redis
from tests.support.registration import register_by_sms
from tests.support.texts import text
from tests.support.villages import seed_villages
from workers.queues import connect_redis

PHONE = "+6281234567001"
PHONE_2 = "+6281234567002"
PHONE_HK = "+85291234567"
PHONE_TW = "+886912345678"

CONSENT = (
    "Kami simpan nama, desa, status & negara Anda untuk info, pelatihan & bantuan. "
    "Tidak dibagikan tanpa izin Anda. Setuju?\n1. Ya, setuju\n2. Tidak"
)
NAME_PROMPT = "Tulis nama Anda:\n0. Kembali"
VILLAGES = "Desa Anda:\n1. Tracap\n2. Kaliwiro\n3. Pesodongan\n4. Lainnya\n0. Kembali\n00. Menu utama"
STATUS_SCREEN = (
    "Anda sekarang:\n1. Calon PMI (akan berangkat)\n2. PMI aktif (di luar negeri)\n"
    "3. Purna PMI (sudah pulang)\n4. Keluarga PMI\n0. Kembali\n00. Menu utama"
)
INVALID_CONSENT = "Pilihan salah, ulangi:\n1. Ya, setuju\n2. Tidak"
USSD_CODE = "*384*123#"
CATALOG_PREFIXES = ("sms", "register", "profile", "language", "info", "report", "case", "training")
"""A reply that starts with one of these and a dot is a catalog key shown raw instead of its text."""
ALIASES = default_registry().aliases


@pytest.fixture
def phone(app, send_sms):
    seed_villages()
    return Phone(send_sms, PHONE)


@pytest.fixture
def make_phone(app, send_sms):
    return lambda number: Phone(send_sms, number)


# Registration ----------------------------------------------------------------------------------------------


@frozen_at(MONDAY_MORNING)
def test_daftar_registers_by_sms_and_sends_one_welcome(phone, drain):
    assert phone.say("DAFTAR") == CONSENT
    assert Person.for_phone(PHONE) is None, "nothing is stored before consent"
    assert phone.say("1") == NAME_PROMPT
    assert phone.say("siti aminah") == VILLAGES
    assert phone.say("1") == STATUS_SCREEN
    country = phone.say("1")
    assert country.startswith("Negara tujuan:\n1. Hong Kong\n2. Taiwan")
    assert Person.for_phone(PHONE) is None or not Person.for_phone(PHONE).is_registered
    done = phone.say("1")
    assert done == text("register.done", name="Siti Aminah")

    person = Person.for_phone(PHONE)
    assert (person.name, person.village, person.status, person.country) == (
        "Siti Aminah",
        "Tracap",
        "calon",
        "hongkong",
    )
    assert person.registered_via == "sms"
    assert (person.consent_at, person.consent_version) == (stored(MONDAY_MORNING), "consent-v1")
    [welcome] = outbox(PHONE, "welcome")
    assert welcome.status == "queued" and welcome.text == text("sms.welcome", name="Siti Aminah")
    assert all(m.status == "queued" for m in outbox(PHONE))

    assert drain()
    assert [m.status for m in outbox(PHONE)] == ["sent"] * len(outbox(PHONE))
    assert Message.get_by_id(welcome.id).attempts == 1
    assert len(outbox(PHONE, "welcome")) == 1


def test_messages_after_registration_do_not_send_another_welcome(phone):
    register_by_sms(phone)
    # the conversation is over: an unknown SMS gets help
    assert phone.say("1") == text("sms.unknown", suggestion="", code=USSD_CODE)
    assert phone.say("DAFTAR").startswith("Siti Aminah, Tracap")
    assert len(outbox(PHONE, "welcome")) == 1


@pytest.mark.parametrize(
    "word",
    [
        "DAFTAR",
        "daftar",
        "Daftar",
        "dAfTaR",
        "DAFTR",
        "daftr",
        "Daftar.",
        "  daftar  ",
        "REGISTER",
        "register",
        "REG",
        "NDAFTAR",
    ],
)
def test_registration_keyword_variants_start_registration(phone, word):
    assert phone.say(word) == CONSENT


@pytest.mark.parametrize("word", ["HELP", "help", "BANTUAN", "Bantuan", "TOLONG", "MENU"])
def test_help_aliases_get_the_help(phone, word):
    assert phone.say(word) == text("sms.help", code=USSD_CODE)


@pytest.mark.parametrize("word", ["BASA", "basa", "BAHASA", "Bahasa", "LANGUAGE"])
def test_language_aliases_open_the_language_menu(phone, word):
    assert phone.say(word) == "Pilih bahasa:\n1. Bahasa Indonesia\n2. Basa Jawa\n3. English"


def test_declining_consent_stores_nothing_personal(phone):
    assert phone.say("DAFTAR") == CONSENT
    assert phone.say("2") == text("register.declined")
    person = Person.for_phone(PHONE)
    if person is not None:
        assert (
            person.name,
            person.village,
            person.status,
            person.country,
            person.consent_at,
            person.registered_via,
        ) == (None,) * 6
    assert outbox(PHONE, "welcome") == []
    assert phone.say("Siti Aminah") == text("sms.unknown", suggestion="", code=USSD_CODE), (
        "the conversation is over: free text is an unknown command"
    )
    person = Person.for_phone(PHONE)
    assert person is None or person.name is None


def test_daftar_when_registered_opens_the_profile(phone):
    register_by_sms(phone)
    profile = phone.say("DAFTAR")
    assert profile.startswith("Siti Aminah, Tracap\nCalon PMI, Hong Kong\nUbah:\n1. Desa\n2. Status\n3. Negara")
    assert CONSENT not in profile
    assert phone.say("1").startswith("Desa baru:\n1. Tracap\n2. Kaliwiro")
    assert phone.say("2") == text("profile.saved")
    assert Person.for_phone(PHONE).village == "Kaliwiro"
    assert len(outbox(PHONE, "welcome")) == 1


def test_registered_by_ussd_then_daftar_by_sms_opens_the_profile(phone, ussd):
    session = ussd(PHONE)
    session.dial()
    assert session.answer("1", "1", "Budi", "2", "3", "1").startswith("END Terima kasih, Budi.")
    assert phone.say("daftar").startswith("Budi, Kaliwiro\nPurna PMI, Hong Kong\nUbah:")


# Unknown words, help, suggestions --------------------------------------------------------------------------


def test_unknown_word_gets_help_once_an_hour(phone):
    first = phone.say("halo")
    assert first == text("sms.unknown", suggestion="", code=USSD_CODE)
    assert "BANTUAN" in first and USSD_CODE in first
    assert phone.say("halo") is None, "no second unsolicited reply within the hour (auto-responder loops)"
    assert phone.say("apa kabar") is None
    assert phone.say("") is None
    assert phone.say("BANTUAN") == text("sms.help", code=USSD_CODE)
    assert phone.say("HELP") == text("sms.help", code=USSD_CODE)
    assert len(outbox(PHONE)) == 3


def test_help_limit_is_per_phone(phone, make_phone):
    assert phone.say("halo") == text("sms.unknown", suggestion="", code=USSD_CODE)
    assert make_phone(PHONE_2).say("halo") == text("sms.unknown", suggestion="", code=USSD_CODE)
    assert phone.say("halo") is None


@pytest.mark.parametrize("word,keyword", [("REGIS", "DAFTAR"), ("INOF", "INFO"), ("STIP", "BERHENTI")])
def test_near_miss_gets_a_suggestion(phone, word, keyword):
    found = match(word, ALIASES)
    assert found.keyword is None and found.suggestion == keyword, "the word must sit on the suggestion path"
    reply = phone.say(word)
    assert reply == text("sms.unknown", suggestion=text("sms.suggestion", keyword=keyword), code=USSD_CODE)
    assert f"Maksud Anda {keyword}?" in reply
    assert Person.for_phone(PHONE) is None or Person.for_phone(PHONE).opted_out_at is None


@pytest.mark.parametrize(
    "word,keyword",
    [("DAFTRA", "DAFTAR"), ("DAFTA", "DAFTAR"), ("INFOO", "INFO"), ("BANTAUN", "BANTUAN"), ("BERHNTI", "BERHENTI")],
)
def test_close_typo_is_taken_as_the_keyword(phone, word, keyword):
    assert match(word, ALIASES).keyword == keyword
    expected = {
        "DAFTAR": CONSENT,
        "INFO": text("sms.info.menu"),
        "BANTUAN": text("sms.help", code=USSD_CODE),
        "BERHENTI": text("sms.optout"),
    }[keyword]
    assert phone.say(word) == expected


@pytest.mark.parametrize("body", ["", "   ", "\n"])
def test_blank_sms_gets_the_help_text(phone, body):
    assert phone.say(body) == text("sms.help", code=USSD_CODE)


def test_blank_sms_in_a_conversation_repeats_the_screen_with_the_error(phone):
    assert phone.say("DAFTAR") == CONSENT
    assert phone.say("") == "Pilihan salah, ulangi:\n1. Ya, setuju\n2. Tidak"


# INFO, LAPOR and friends -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,key",
    [
        ("INFO", "sms.info.menu"),
        ("info", "sms.info.menu"),
        ("INFO AMAN", "info.safe.text"),
        ("info aman", "info.safe.text"),
        ("INFO HAK", "info.rights.text"),
        ("Info hak", "info.rights.text"),
        ("INFO KONTAK", "info.contacts.text"),
        ("INFO SAFE", "info.safe.text"),
        ("INFO entah", "sms.info.menu"),
    ],
)
def test_info_topics(phone, body, key):
    assert phone.say(body) == text(key)


@pytest.mark.parametrize("body", ["CEK", "CEK PT Maju Jaya", "cek"])
def test_features_not_built_yet_say_coming_soon(phone, body):
    assert phone.say(body) == text("sms.soon")


# Language --------------------------------------------------------------------------------------------------


def test_bahasa_jv_switches_replies_to_javanese(phone):
    assert phone.say("BAHASA JV") == text("language.saved", "jv")
    assert Person.for_phone(PHONE).language == "jv"
    assert phone.say("INFO") == text("sms.info.menu", "jv")
    assert phone.say("BANTUAN") == text("sms.help", "jv", code=USSD_CODE)
    assert phone.say("DAFTAR").startswith(
        text("register.consent", "jv") + f"\n1. {text('register.agree', 'jv')}\n2. {text('register.disagree', 'jv')}"
    )


@pytest.mark.parametrize(
    "body,language",
    [
        ("BAHASA jawa", "jv"),
        ("bahasa en", "en"),
        ("BAHASA ENGLISH", "en"),
        ("BASA JV", "jv"),
        ("LANGUAGE EN", "en"),
        ("BAHASA ID", "id"),
    ],
)
def test_bahasa_with_a_language_word(phone, body, language):
    assert phone.say(body) == text("language.saved", language)
    assert phone.say("CEK") == text("sms.soon", language)


def test_bahasa_alone_opens_the_language_menu(phone):
    assert phone.say("BAHASA") == "Pilih bahasa:\n1. Bahasa Indonesia\n2. Basa Jawa\n3. English"
    assert phone.say("3") == text("language.saved", "en") == "Language changed to English."
    assert Person.for_phone(PHONE).language == "en"
    assert phone.say("INFO") == text("sms.info.menu", "en")
    assert phone.say("3") == text("sms.unknown", "en", suggestion="", code=USSD_CODE), "the menu is over"


def test_registration_keeps_the_chosen_language(phone):
    assert phone.say("BAHASA EN") == text("language.saved", "en")
    assert phone.say("DAFTAR").startswith(text("register.consent", "en"))
    for body in ("1", "Dewi", "1", "2"):
        phone.say(body)
    assert phone.say("1") == text("register.done", "en", name="Dewi")
    person = Person.for_phone(PHONE)
    assert (person.language, person.status, person.country) == ("en", "aktif", "hongkong")
    [welcome] = outbox(PHONE, "welcome")
    assert welcome.text == text("sms.welcome", "en", name="Dewi")


# Opt-out and back in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["BERHENTI", "STOP", "stop", "Berhenti", "UNREG"])
@frozen_at(MONDAY_MORNING)
def test_stop_words_opt_out(phone, word):
    assert phone.say(word) == text("sms.optout")
    assert Person.for_phone(PHONE).opted_out_at == stored(MONDAY_MORNING)


def test_opt_out_and_back_in(phone):
    register_by_sms(phone)
    with frozen_at(MONDAY_MORNING):
        assert phone.say("BERHENTI") == text("sms.optout")
    with frozen_at(MONDAY_MORNING + dt.timedelta(hours=2)):
        assert phone.say("STOP") == text("sms.optout")
    assert Person.for_phone(PHONE).opted_out_at == stored(MONDAY_MORNING), "a second stop keeps the first time"
    assert phone.say("MULAI") == text("sms.optin")
    person = Person.for_phone(PHONE)
    assert person.opted_out_at is None
    assert person.is_registered and person.name == "Siti Aminah"


@frozen_at(MONDAY_MORNING)
def test_opt_out_of_unknown_number_stores_a_bare_row(phone):
    assert phone.say("STOP") == text("sms.optout")
    person = Person.for_phone(PHONE)
    assert person.opted_out_at == stored(MONDAY_MORNING)
    assert (person.name, person.status, person.consent_at) == (None, None, None)


def test_stop_in_the_middle_of_registration_ends_it(phone):
    assert phone.say("DAFTAR") == CONSENT
    assert phone.say("1") == NAME_PROMPT
    assert phone.say("STOP") == text("sms.optout")
    assert phone.say("Siti Aminah") == text("sms.unknown", suggestion="", code=USSD_CODE)
    assert Person.for_phone(PHONE).name is None, "the name after STOP was not taken as a registration answer"


# Replays and navigation ------------------------------------------------------------------------------------


def test_replayed_sms_in_a_conversation_acts_once(phone):
    assert phone.say("DAFTAR", id="ATXid_r1") == CONSENT
    assert phone.say("1", id="ATXid_r2") == NAME_PROMPT
    assert phone.say("1", id="ATXid_r2") is None, "a replay gets no second reply"
    assert phone.say("DAFTAR", id="ATXid_r1") is None
    assert json.loads(Conversation.get(Conversation.phone == PHONE).inputs) == ["1"]
    assert phone.say("Siti Aminah", id="ATXid_r3") == VILLAGES
    assert Message.select().where(Message.direction == "in").count() == 3
    assert len(outbox(PHONE)) == 3


def test_replayed_last_step_registers_and_welcomes_once(phone):
    for n, body in enumerate(("DAFTAR", "1", "Siti Aminah", "1", "1")):
        phone.say(body, id=f"ATXid_s{n}")
    assert phone.say("1", id="ATXid_last") == text("register.done", name="Siti Aminah")
    assert phone.say("1", id="ATXid_last") is None
    assert len(outbox(PHONE, "welcome")) == 1
    assert Person.select().count() == 1


def test_navigation_back_home_and_bad_choices(phone):
    assert phone.say("DAFTAR") == CONSENT
    assert phone.say("7") == "Pilihan salah, ulangi:\n1. Ya, setuju\n2. Tidak"
    assert phone.say("1") == NAME_PROMPT
    assert phone.say("0") == CONSENT
    assert phone.say("1") == NAME_PROMPT
    assert phone.say("Siti Aminah") == VILLAGES
    assert phone.say("9") == VILLAGES.replace("Desa Anda:", "Pilihan salah, ulangi:")
    assert phone.say("0") == NAME_PROMPT
    assert phone.say("Siti Aminah") == VILLAGES
    assert phone.say("00") == CONSENT
    assert register_rest(phone) == text("register.done", name="Siti Aminah")
    assert Person.for_phone(PHONE).village == "Tracap"


def register_rest(phone: Phone) -> str:
    for body in ("1", "Siti Aminah", "1", "1"):
        phone.say(body)
    return phone.say("1")


def test_bad_name_gets_the_error_line(phone):
    phone.say("DAFTAR")
    phone.say("1")
    assert phone.say("12345") == text("error.name") + "\n0. Kembali"
    assert phone.say("Siti Aminah") == VILLAGES


def test_other_village_is_typed(phone):
    phone.say("DAFTAR")
    phone.say("1")
    phone.say("Siti Aminah")
    assert phone.say("4") == "Tulis nama desa Anda:\n0. Kembali\n00. Menu utama"
    assert phone.say("Sumberejo") == STATUS_SCREEN
    assert phone.say("98") == STATUS_SCREEN.replace("Anda sekarang:", "Pilihan salah, ulangi:"), "no next page here"
    phone.say("4")  # keluarga: no country question
    assert Person.for_phone(PHONE).village == "Sumberejo"
    assert Person.for_phone(PHONE).country is None


# Sizes and alphabet ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language,choice", [("id", "1"), ("jv", "2"), ("en", "3")])
def test_every_reply_fits_two_gsm7_segments(phone, drain, language, choice):
    assert phone.say(f"BAHASA {language.upper()}") == text("language.saved", language)
    bodies = [
        "REGIS",
        "BANTUAN",
        "INFO",
        "INFO AMAN",
        "INFO HAK",
        "INFO KONTAK",
        "LAPOR",
        "CEK X",
        "DAFTAR",
        "7",
        "1",
        "123",
        "Siti Aminah",
        "9",
        "1",
        "3",
        "1",
        "DAFTAR",
        "1",
        "0",
        "2",
        "2",
        "DAFTAR",
        "2",
        "1",
        "BERHENTI",
        "MULAI",
        "BAHASA",
        choice,
    ]
    for body in bodies:
        reply = phone.say(body)
        assert reply and "{" not in reply and reply.split(".")[0] not in CATALOG_PREFIXES, (body, reply)
    messages = outbox(PHONE)
    assert len(messages) == len(bodies) + 2  # the language reply and the welcome
    for message in messages:
        size = sms_size(message.text)
        assert is_gsm7_basic(message.text), (message.text, non_gsm7_basic(message.text))
        assert size.encoding == "gsm7" and size.segments <= 2, message.text
        assert (message.segments, message.encoding) == (size.segments, size.encoding)


def test_long_name_with_odd_characters_still_fits(phone):
    phone.say("DAFTAR")
    phone.say("1")
    assert phone.say("Siti Ma’rifah Rahayuningsih 🙏") == VILLAGES
    for body in ("1", "1"):
        phone.say(body)
    done = phone.say("1")
    assert done == text("register.done", name="Siti Ma'rifah Rahayuningsih")
    for message in outbox(PHONE):
        assert is_gsm7_basic(message.text), message.text
        assert sms_size(message.text).segments <= 2


# Numbers from abroad ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [PHONE_HK, PHONE_TW])
def test_number_from_abroad_registers_by_sms(app, make_phone, number):
    seed_villages()
    worker = make_phone(number)
    assert worker.say("DAFTAR") == CONSENT
    for body in ("1", "Sri Wahyuni", "1", "2"):
        assert worker.say(body)
    assert worker.say("2") == text("register.done", name="Sri Wahyuni")
    person = Person.for_phone(number)
    assert (person.name, person.status, person.country, person.registered_via) == (
        "Sri Wahyuni",
        "aktif",
        "taiwan",
        "sms",
    )
    assert len(outbox(number, "welcome")) == 1


# Redis away ------------------------------------------------------------------------------------------------


def test_sms_while_redis_is_down_is_answered_after_the_sweep(app, phone, runner, drain):
    use_redis(app, connect_redis("redis://127.0.0.1:1/0"))
    assert phone.say("BANTUAN") == text("sms.help", code=USSD_CODE)
    [reply] = outbox(PHONE)
    assert (reply.status, reply.attempts) == ("queued", 0)

    use_redis(app, connect_redis(app.config["REDIS_URL"]))
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    drain()
    reply = Message.get_by_id(reply.id)
    assert (reply.status, reply.attempts) == ("sent", 1)
    assert reply.provider_id.startswith("outbox-")

    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()
    assert (Message.get_by_id(reply.id).status, Message.get_by_id(reply.id).attempts) == ("sent", 1)
    assert len(outbox(PHONE)) == 1


def test_registration_while_redis_is_down_welcomes_after_the_sweep(app, phone, runner, drain):
    use_redis(app, connect_redis("redis://127.0.0.1:1/0"))
    assert register_by_sms(phone) == text("register.done", name="Siti Aminah")
    assert {m.status for m in outbox(PHONE)} == {"queued"}

    use_redis(app, connect_redis(app.config["REDIS_URL"]))
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()
    messages = outbox(PHONE)
    assert [(m.status, m.attempts) for m in messages] == [("sent", 1)] * len(messages)
    assert len(outbox(PHONE, "welcome")) == 1


# Time: conversations and the help limit expire ---------------------------------------------------------------


def test_idle_conversation_starts_over_after_a_day(phone):
    assert phone.say("DAFTAR") == CONSENT
    Conversation.update(updated_at=utcnow() - dt.timedelta(hours=25)).where(Conversation.phone == PHONE).execute()
    assert phone.say("1") == text("sms.unknown", suggestion="", code=USSD_CODE)
    assert Person.for_phone(PHONE) is None


def test_help_is_sent_again_after_an_hour(phone):
    assert phone.say("halo") == text("sms.unknown", suggestion="", code=USSD_CODE)
    assert phone.say("halo") is None
    Conversation.update(last_help_at=utcnow() - dt.timedelta(minutes=61)).where(Conversation.phone == PHONE).execute()
    assert phone.say("halo") == text("sms.unknown", suggestion="", code=USSD_CODE)


# Answers that look like keywords ---------------------------------------------------------------------------


def test_a_name_is_taken_as_a_name_even_if_it_looks_like_a_typo(phone):
    phone.say("DAFTAR")
    phone.say("1")
    assert phone.say("Daftari") == VILLAGES, "inside a conversation only exact keywords interrupt"


def test_common_javanese_name_wiwit_can_register(phone):
    phone.say("DAFTAR")
    assert phone.say("1") == NAME_PROMPT
    assert phone.say("Wiwit Handayani") == VILLAGES


def test_an_auto_responder_inside_a_conversation_cannot_loop_with_us(phone):
    phone.say("DAFTAR")
    replies = [phone.say("Terima kasih, pesan Anda sudah kami terima.") for _ in range(6)]
    assert replies == [INVALID_CONSENT, INVALID_CONSENT, None, None, None, None]
    assert Conversation.get(Conversation.phone == PHONE).flow is None, "the conversation ended quietly"
