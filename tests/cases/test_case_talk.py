"""A case that can talk back, played as whole SMS conversations: the reporter writes again and whoever should hear
of it is told (once an hour however many come), DETAIL shows the words, BALAS reaches the safe number once it has
written and is refused where SMS is not safe, a second TERIMA names the holder and the others hear of the take once."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import fitting
from models import Case, CaseEvent, Staff, bind_database, database
from models.case_talk import reply_phone
from models.case_terms import CaseError, Report
from models.gsm import is_gsm7_basic, sms_size
from models.migrate import upgrade
from models.neutral_words import non_neutral_word
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text

JAKARTA = ZoneInfo("Asia/Jakarta")
OPENED = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
"""A Monday morning: an organiser's answer waits out quiet hours, so the tests run in daytime."""

REPORTER, SAFE_NUMBER, STRANGER = "+6281234567061", "+6281234567062", "+6281234567099"
ABROAD = "+85291234567"
STORY = "Majikan menahan gaji saya tiga bulan dan dokumen dipegang agen"
LATER = "Saya sudah di rumah teman, tolong telepon sore saja"
NOTE = "Sudah ditelepon ibunya, minta kontrak"
ANSWER = "Besok jam 4 sore kami telepon ya bu"
LANGUAGES = ("id", "jv", "en")
_sources = itertools.count(1)


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(OPENED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phones(send_sms, case_staff):
    """A phone for each number: `phones[ORGANIZER].say("KASUS")`."""
    numbers = (REPORTER, SAFE_NUMBER, STRANGER, ABROAD, ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL)
    return {number: Phone(send_sms, number) for number in numbers}


def open_case(
    category: str = "wages",
    *,
    reporter: str = REPORTER,
    safe: str = "yes",
    consent: bool = True,
    story: str | None = STORY,
) -> Case:
    """A case as a report opens it: `safe` is "yes", "no" or the safe number the reporter gave."""
    case, _ = Case.open(
        Report(
            reporter_phone=reporter,
            for_whom="self",
            category=category,
            country="hongkong",
            safe_to_contact=safe != "no",
            safe_phone=safe if safe.startswith("+") else None,
            story=story,
            consent_to_refer=consent,
            channel="sms",
            source_key=f"talk-{next(_sources)}",
            said_unsafe=safe == "no",
        )
    )
    return case


def fresh(case: Case) -> Case:
    return Case.get_by_id(case.id)


def messages(case: Case) -> list[CaseEvent]:
    return list(case.events.where(CaseEvent.kind == "message").order_by(CaseEvent.id))


def new_message(case: Case, words: str, language: str = "id") -> str:
    return text("case.talk.new_message", language, code=case.display_code, words=words)


def alerts(phone: str) -> list[str]:
    return [m.text for m in outbox(phone, "alert")]


def sent_to(fake_at) -> dict[str, list[str]]:
    """What the fake AT server was asked to send, by phone."""
    got: dict[str, list[str]] = {}
    for request in fake_at.requests:
        for phone in request.form["to"].split(","):
            got.setdefault(phone, []).append(request.form["message"])
    return got


# The reporter writes again ----------------------------------------------------------------------------------


def test_the_reporter_writes_again_and_the_holder_is_told(phones, drain, use_africastalking):
    case = open_case()
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    before_other = alerts(ORGANIZER_OTHER)

    assert phones[REPORTER].say(LATER) == text("case.talk.received", code=case.display_code)

    [event] = messages(case)
    assert (event.actor, event.channel, event.note) == (REPORTER, "sms", LATER)
    assert alerts(ORGANIZER)[-1] == new_message(case, LATER)
    assert alerts(ORGANIZER_OTHER) == before_other, "only the holder hears of it"
    assert not any(case.display_code in m for m in alerts(COORDINATOR) + alerts(OFFICIAL))
    drain()
    assert new_message(case, LATER) in sent_to(use_africastalking)[ORGANIZER]
    assert sent_to(use_africastalking)[REPORTER][-1] == text("case.talk.received", code=case.display_code)


def test_the_acknowledgement_is_neutral_in_every_language():
    for language in LANGUAGES:
        ack = text("case.talk.received", language, code="K7M-4RX")
        assert "K7M-4RX" in ack and non_neutral_word(ack) is None, ack
        assert non_neutral_word(text("case.talk.reply.to_reporter", language, code="K7M-4RX", words=ANSWER)) is None


def test_while_nobody_holds_the_case_its_organisers_are_told(phones):
    normal, urgent = open_case("wages"), open_case("violence", reporter=ABROAD)
    phones[REPORTER].say(LATER)
    assert alerts(ORGANIZER)[-1] == new_message(normal, LATER)
    assert alerts(ORGANIZER_OTHER)[-1] == new_message(normal, LATER)
    assert new_message(normal, LATER) not in alerts(COORDINATOR) + alerts(OFFICIAL)

    phones[ABROAD].say("Saya takut")
    told = {
        phone
        for phone in (ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL)
        if new_message(urgent, "Saya takut") in alerts(phone)
    }
    assert told == {ORGANIZER, ORGANIZER_OTHER, COORDINATOR}, "an urgent case's coordinators too, never the official"


def test_a_flood_is_kept_whole_and_told_once_an_hour(phones, daytime):
    case = open_case()
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    told = len(alerts(ORGANIZER))
    replies = [phones[REPORTER].say(f"pesan nomor {n}") for n in range(1, 6)]
    assert replies == [text("case.talk.received", code=case.display_code)] + [None] * 4
    assert [e.note for e in messages(case)] == [f"pesan nomor {n}" for n in range(1, 6)]
    assert len(alerts(ORGANIZER)) == told + 1

    daytime.move_to(OPENED + dt.timedelta(minutes=59))
    assert phones[REPORTER].say("masih di sini") is None and len(alerts(ORGANIZER)) == told + 1
    daytime.move_to(OPENED + dt.timedelta(minutes=61))
    assert phones[REPORTER].say("halo lagi") == text("case.talk.received", code=case.display_code)
    assert alerts(ORGANIZER)[-1] == new_message(case, "halo lagi") and len(messages(case)) == 7


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_first_words_fit_one_segment(phones, language):
    Staff.update(language=language).execute()
    case = open_case()
    long = "Majikan bilang \u201cjangan keluar\u201d \U0001f622 " + "saya takut sekali dan tidak punya uang " * 8
    phones[REPORTER].say(long)
    alert = alerts(ORGANIZER)[-1]
    assert is_gsm7_basic(alert) and sms_size(alert).segments == 1, alert
    assert '"Majikan bilang "jangan keluar" saya takut' in alert and f"...{chr(34)}" in alert
    assert messages(case)[0].note == long.strip(), "the case keeps the words as written"


def test_a_message_from_a_number_without_an_open_case_is_no_case_event(phones):
    closed = open_case(reporter=ABROAD)
    phones[ORGANIZER].say(f"SELESAI {closed.code}")
    for phone in (STRANGER, ABROAD):
        reply = phones[phone].say(LATER)
        assert reply is not None and reply != text("case.talk.received", code=closed.display_code)
    assert CaseEvent.select().where(CaseEvent.kind == "message").count() == 0


def test_keywords_and_staff_keep_their_meaning(phones):
    case = open_case()
    phones[REPORTER].say(f"STATUS {case.code}")
    phones[ORGANIZER].say("halo semua")
    assert messages(case) == [], "a keyword is a keyword; staff do not write into cases by accident"


def test_a_mistyped_keyword_from_the_reporter_is_not_lost(phones):
    case = open_case()
    assert phones[REPORTER].say("Bantu saya, majikan marah") == text("case.talk.received", code=case.display_code)
    assert [e.note for e in messages(case)] == ["Bantu saya, majikan marah"]


# BALAS ------------------------------------------------------------------------------------------------------


def test_balas_reaches_the_safe_number_only_once_it_has_written(phones, drain, use_africastalking):
    case = open_case(safe=SAFE_NUMBER)
    assert phones[ORGANIZER].say(f"BALAS {case.code} {ANSWER}") == text(
        "case.talk.reply.safe_silent", code=case.display_code, phone=SAFE_NUMBER
    )
    assert outbox(SAFE_NUMBER) == [] and outbox(REPORTER) == []

    assert phones[SAFE_NUMBER].say("Ini nomor kakaknya") == text("case.talk.received", code=case.display_code)
    assert fresh(case).safe_phone_seen_at is not None and messages(case)[0].actor == SAFE_NUMBER

    assert phones[ORGANIZER].say(f"balas {case.display_code.lower()} {ANSWER}") == text(
        "case.talk.reply.done", code=case.display_code, phone=SAFE_NUMBER
    )
    answer = text("case.talk.reply.to_reporter", code=case.display_code, words=ANSWER)
    assert [m.text for m in outbox(SAFE_NUMBER, "case_reply")] == [answer]
    reply = case.events.where(CaseEvent.kind == "reply").get()
    assert (reply.actor, reply.note) == (ORGANIZER, ANSWER)
    drain()
    assert answer in sent_to(use_africastalking)[SAFE_NUMBER]
    assert REPORTER not in sent_to(use_africastalking), "a reporter who gave a safe number hears nothing on theirs"


def test_balas_to_an_unsafe_reporter_is_refused_with_the_reason(phones, drain, use_africastalking):
    case = open_case(safe="no")
    phones[REPORTER].say(LATER)
    events = case.events.count()
    assert phones[ORGANIZER].say(f"BALAS {case.code} {ANSWER}") == text(
        "case.talk.reply.unsafe", code=case.display_code
    )
    assert case.events.count() == events and outbox(REPORTER, "case_reply") == []
    drain()
    assert sent_to(use_africastalking)[REPORTER] == [text("case.talk.received", code=case.display_code)], (
        "only the neutral acknowledgement of its own message"
    )


def test_balas_to_a_safe_reporter_abroad_waits_out_the_night(phones, daytime):
    case = open_case(reporter=ABROAD)
    daytime.move_to(OPENED.replace(hour=22))
    assert phones[ORGANIZER].say(f"BALAS {case.code} {ANSWER}") == text(
        "case.talk.reply.waits", code=case.display_code, phone=ABROAD, time="06:00"
    )
    [answer] = outbox(ABROAD, "case_reply")
    assert answer.status == "queued" and answer.next_attempt_at is not None


@pytest.mark.parametrize(
    "body,key,params",
    [
        ("BALAS {code}", "case.usage.balas", {}),
        ("BALAS", "case.usage.balas", {}),
        ("BALAS {code} Laporan Anda sudah kami terima", "case.talk.reply.not_neutral", {"word": "laporan"}),
        ("BALAS {code} Kami sudah hubungi Disnaker", "case.talk.reply.not_neutral", {"word": "disnaker"}),
    ],
)
def test_balas_refuses_what_may_not_go(phones, body, key, params):
    case = open_case()
    reply = phones[ORGANIZER].say(body.format(code=case.code))
    assert reply == text(key, **({"code": case.display_code} | params if "{code}" in body else {}))
    assert outbox(REPORTER) == [] and case.events.count() == 1


def test_balas_too_long_says_how_much_fits(phones):
    case = open_case()
    room = 2 * 153 - sms_size(text("case.talk.reply.to_reporter", code=case.display_code, words="")).units
    assert phones[ORGANIZER].say(f"BALAS {case.code} " + "kami akan telepon besok " * 14) == text(
        "case.talk.reply.too_long", code=case.display_code, count=str(room)
    )
    assert outbox(REPORTER) == [] and case.events.count() == 1


def test_an_official_cannot_balas_and_a_stranger_is_not_served(phones):
    case = open_case()
    assert phones[OFFICIAL].say(f"BALAS {case.code} {ANSWER}") == text("case.error.role", code=case.display_code)
    assert phones[STRANGER].say(f"BALAS {case.code} {ANSWER}") == text("staff.only")
    assert outbox(REPORTER) == []


# DETAIL -----------------------------------------------------------------------------------------------------


def test_detail_shows_the_story_then_the_latest_words(phones, daytime):
    case = open_case()
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    daytime.move_to(OPENED + dt.timedelta(days=1))
    phones[ORGANIZER].say(f"CATAT {case.code} {NOTE}")
    daytime.move_to(OPENED + dt.timedelta(days=2))
    phones[REPORTER].say(LATER)
    phones[ORGANIZER].say(f"BALAS {case.code} {ANSWER}")

    items = [
        text("case.talk.detail.story", date="30/11", words=STORY),
        text("case.talk.detail.reply", date="02/12", name="Siti", words=ANSWER),
        text("case.talk.detail.message", date="02/12", words=LATER),
        text("case.talk.detail.note", date="01/12", name="Siti", words=NOTE),
    ]
    expected = text(
        "case.talk.detail",
        code=case.display_code,
        status=text("case.status_short.acknowledged"),
        talk_items="; ".join(items),
    )
    assert phones[COORDINATOR].say(f"DETAIL {case.display_code.lower()}") == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_detail_fits_three_segments_however_much_was_said(phones, daytime, language):
    Staff.update(language=language).execute()
    case = open_case(story="Saya dipukul majikan karena lambat \u201cbekerja\u201d " * 12)
    for hour in range(12):
        daytime.move_to(OPENED + dt.timedelta(hours=2 * hour))
        phones[REPORTER].say(f"pesan ke {hour}: " + "tolong saya segera " * 9)
        phones[ORGANIZER].say(f"CATAT {case.code} catatan {hour} " + "sudah ditelepon " * 10)
    reply = phones[ORGANIZER].say(f"DETAIL {case.code}")
    assert is_gsm7_basic(reply) and sms_size(reply).segments <= 3, reply
    assert sms_size(reply).segments == 3 and reply.endswith(fitting.ELLIPSIS)
    assert "Saya dipukul majikan" in reply and "catatan 11" in reply, "the story, then the newest words"


def test_detail_of_a_case_with_no_words(phones):
    case = open_case(story=None)
    assert phones[ORGANIZER].say(f"DETAIL {case.code}") == text(
        "case.talk.detail.empty", code=case.display_code, status=text("case.status_short.new")
    )


@pytest.mark.parametrize("consent", [True, False])
def test_an_official_reads_only_a_case_referred_to_them_and_the_words_only_with_consent(phones, consent):
    case = open_case(consent=consent)
    phones[REPORTER].say(LATER)
    phones[ORGANIZER].say(f"CATAT {case.code} {NOTE}")
    assert phones[OFFICIAL].say(f"DETAIL {case.code}") == text("case.talk.detail.not_yours", code=case.display_code)

    Case.update(status="referred", referred_to=OFFICIAL, assignee=ORGANIZER).where(Case.id == case.id).execute()
    reply = phones[OFFICIAL].say(f"DETAIL {case.code}")
    assert NOTE in reply
    assert (STORY in reply and LATER in reply) is consent
    assert (text("case.talk.detail.hidden") in reply) is not consent
    if not consent:
        assert "Majikan" not in reply and "rumah teman" not in reply


def test_detail_alone_keeps_its_meaning(phones):
    assert phones[OFFICIAL].say("DETAIL") == text("case.detail.none")
    assert phones[ORGANIZER].say("DETAIL") == text("case.usage.detail")
    assert phones[ORGANIZER].say("DETAIL K7M4RX") == text("case.unknown_code", code="K7M4RX")


# TERIMA -----------------------------------------------------------------------------------------------------


def test_a_second_terima_names_the_holder_and_the_others_hear_once(phones):
    case = open_case()
    before = {phone: len(alerts(phone)) for phone in (ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL)}
    assert phones[ORGANIZER].say(f"TERIMA {case.code}") == text("case.ack.done", code=case.display_code)
    taken = text("case.talk.taken", code=case.display_code, name="Siti")
    assert alerts(ORGANIZER_OTHER)[before[ORGANIZER_OTHER] :] == [taken]
    assert len(alerts(ORGANIZER)) == before[ORGANIZER], "the taker is not told"
    assert len(alerts(COORDINATOR)) == before[COORDINATOR], "a normal case's alert did not go to coordinators"

    for _ in range(2):
        assert phones[ORGANIZER_OTHER].say(f"TERIMA {case.code}") == text(
            "case.talk.held", code=case.display_code, name="Siti"
        )
    assert fresh(case).assignee == ORGANIZER
    assert alerts(ORGANIZER_OTHER)[before[ORGANIZER_OTHER] :] == [taken], "told once"
    assert taken not in alerts(ORGANIZER)


def test_an_escalated_case_taken_tells_the_coordinators_too(phones):
    case = open_case("violence")
    Staff.update(name="Bu Ani Lestari").where(Staff.phone == ORGANIZER_OTHER).execute()
    phones[ORGANIZER_OTHER].say(f"TERIMA {case.code}")
    taken = text("case.talk.taken", code=case.display_code, name="Ani")
    assert taken in alerts(ORGANIZER) and taken in alerts(COORDINATOR)
    assert taken not in alerts(OFFICIAL)
    assert phones[COORDINATOR].say(f"TERIMA {case.code}") == text("case.talk.held", code=case.display_code, name="Ani")


# Budgets, privacy, the migration ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_talk_reply_to_staff_fits_two_segments(phones, language):
    Staff.update(language=language, name="Raden Mas Bambang Sri Wahyuningsih Kusumawardani").execute()
    case, unsafe, silent = open_case(), open_case(safe="no"), open_case(safe=SAFE_NUMBER)
    for sender, body in [
        (ORGANIZER, "BALAS"),
        (ORGANIZER, f"BALAS {case.code}"),
        (ORGANIZER, f"BALAS {case.code} " + "x" * 400),
        (ORGANIZER, f"BALAS {case.code} kasus"),
        (ORGANIZER, f"BALAS {unsafe.code} {ANSWER}"),
        (ORGANIZER, f"BALAS {silent.code} {ANSWER}"),
        (ORGANIZER, f"BALAS {case.code} {ANSWER}"),
        (ORGANIZER, "DETAIL"),
        (OFFICIAL, f"DETAIL {case.code}"),
        (ORGANIZER, f"TERIMA {case.code}"),
        (ORGANIZER_OTHER, f"TERIMA {case.code}"),
    ]:
        reply = phones[sender].say(body)
        assert reply and is_gsm7_basic(reply) and sms_size(reply).segments <= fitting.MAX_SEGMENTS, (body, reply)
        assert "{" not in reply and not reply.startswith("case."), (body, reply)


def test_no_message_story_or_full_number_in_the_logs(phones, caplog):
    caplog.set_level(logging.INFO)
    case = open_case(safe=SAFE_NUMBER)
    phones[SAFE_NUMBER].say(LATER)
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    phones[ORGANIZER_OTHER].say(f"TERIMA {case.code}")
    phones[ORGANIZER].say(f"BALAS {case.code} {ANSWER}")
    phones[ORGANIZER].say(f"DETAIL {case.code}")
    assert case.display_code in caplog.text
    for secret in (LATER, "rumah teman", ANSWER, STORY, REPORTER, SAFE_NUMBER, ORGANIZER, ORGANIZER_OTHER):
        assert secret not in caplog.text, secret


def test_a_case_stored_before_the_talk_columns_upgrades_empty(tmp_path):
    previous = database.obj
    db = bind_database(f"sqlite:///{tmp_path / 'talk.db'}")
    try:
        upgrade("0006_digests")
        row = {
            "code": "K7M4RX", "reporter_phone": REPORTER, "for_whom": "self", "category": "wages",
            "severity": "normal", "safe_to_contact": True, "safe_phone": SAFE_NUMBER, "consent_to_refer": False,
            "status": "new", "channel": "sms", "incomplete": False, "source_key": "old", "ack_due_at": "2026-01-01",
            "escalation_level": 0, "created_at": "2026-01-01", "updated_at": "2026-01-01",
        }  # fmt: skip
        db.execute_sql(
            f'INSERT INTO "case" ({", ".join(row)}) VALUES ({", ".join("?" for _ in row)})', list(row.values())
        )
        assert "0007_case_messages" in upgrade()
        case = Case.get(Case.code == "K7M4RX")
        assert (case.safe_phone_seen_at, case.message_alert_at) == (None, None)
        with pytest.raises(CaseError) as refused:
            reply_phone(case)
        assert refused.value.key == "case.talk.reply.safe_silent"
    finally:
        db.close()
        database.initialize(previous)


def test_not_neutral_words_are_found_inside_longer_words():
    assert non_neutral_word("Sudah kami laporkan ke kepolisian") == "laporkan"
    assert non_neutral_word("Paspor Anda aman") == "paspor"
    assert non_neutral_word("Besok kami telepon, sabar ya bu") is None


def test_tolong_with_words_from_a_reporter_joins_the_case_not_the_help(app, case_staff, send_sms):
    reporter = Phone(send_sms, "+6281234567131")
    for answer in ("LAPOR", "1", "1", "4", "1", "1"):
        reporter.say(answer)
    case = Case.get()
    reply = reporter.say("Tolong saya dipukul lagi")
    assert reply == text("case.talk.received", code=case.display_code)
    [message] = CaseEvent.select().where((CaseEvent.case == case.id) & (CaseEvent.kind == "message"))
    assert message.note == "Tolong saya dipukul lagi"
    assert "LAPOR" in Phone(send_sms, "+6281234567132").say("Tolong"), "alone it is still a call for help"
