"""Status look-up: "Cek laporan" lists the caller's own cases, `STATUS [code]` answers only the reporter's number,
the safe number and staff, in neutral words; to anyone else a real code looks like an unknown one."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from models import Case, Message, Staff, database
from models.case_terms import Report
from models.gsm import is_gsm7_basic, sms_size
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.texts import text

REPORTER = "+6281234567051"
SAFE = "+6281234567052"
STRANGER = "+6281234567053"
TAIWAN = "+886912345678"
ORGANIZER = "+6281200000001"

_sources = itertools.count(1)


def open_case(
    phone: str, *, category: str = "violence", safe: bool = True, safe_phone: str | None = None, days_ago: int = 0
) -> Case:
    report = Report(
        reporter_phone=phone,
        for_whom="self",
        category=category,
        country="taiwan",
        safe_to_contact=safe or bool(safe_phone),
        safe_phone=safe_phone,
        story="majikan memukul saya",
        consent_to_refer=False,
        channel="sms",
        source_key=f"test:{next(_sources)}",
    )
    with database.atomic():
        case, _ = Case.open(report, now=dt.datetime(2026, 11, 28, 3, 0) - dt.timedelta(days=days_ago))
    return case


def state(case: Case, language: str = "id", short: bool = False) -> str:
    prefix = "case.reporter_state_short." if short else "case.reporter_state."
    return text(prefix + Case.get_by_id(case.id).status, language)


@pytest.fixture
def organizer(app):
    return Staff.create(phone=ORGANIZER, name="Siti Pengurus", role="organizer", village="Tracap")


# USSD "Cek laporan" ------------------------------------------------------------------------------------------


def test_cek_laporan_with_no_cases_says_so_and_offers_back(app, ussd):
    session = ussd(REPORTER)
    session.dial()
    assert session.answer("5") == f"CON {text('check.title')}\n{text('check.empty')}\n0. Kembali"
    assert session.answer("0").startswith("CON KawalMigran")


def test_cek_laporan_lists_own_cases_newest_first_without_the_problem(app, ussd, organizer):
    older = open_case(REPORTER, days_ago=3)
    named_safe = open_case("+6281234567099", safe_phone=REPORTER, days_ago=1)
    newest = open_case(REPORTER, category="wages")
    open_case(STRANGER)
    with database.atomic():
        older.acknowledge(organizer)
    session = ussd(REPORTER)
    session.dial()
    reply = session.answer("5")
    assert reply == "\n".join(
        [
            f"CON {text('check.title')}",
            f"1. Kode {newest.display_code}: {state(newest, short=True)}",
            f"2. Kode {older.display_code}: {state(older, short=True)}",
            "0. Kembali",
        ]
    ), "a case naming this number as its safe number only joins the list once a message came from it"
    assert named_safe.display_code not in reply
    for word in ("Kekerasan", "Gaji", "Taiwan", "majikan"):
        assert word not in reply
    detail = session.answer("2")
    assert detail == f"CON Pesan {older.display_code} {state(older)}.\n0. Kembali\n00. Menu utama"
    assert "sedang ditangani" in detail
    assert session.answer("0") == reply


def test_cek_laporan_pages_a_long_list_within_160_characters(app, ussd):
    cases = [open_case(REPORTER, days_ago=n) for n in range(9)]
    session = ussd(REPORTER)
    session.dial()
    pages = [session.answer("5")]
    while "98. Berikutnya" in pages[-1] and len(pages) < 5:
        pages.append(session.answer("98"))
    assert len(pages) > 1 and all(len(page) <= 160 and page.endswith("0. Kembali") for page in pages)
    assert all(case.display_code in "".join(pages) for case in cases)
    assert session.answer("9").startswith(f"CON Pesan {cases[-1].display_code} "), "numbering runs across pages"


def test_cek_laporan_in_javanese(app, ussd):
    from models import Person

    Person.contact(REPORTER).update_fields(language="jv")
    case = open_case(REPORTER)
    session = ussd(REPORTER)
    session.dial()
    short, state = text("case.reporter_state_short.new", "jv"), text("case.reporter_state.new", "jv")
    assert f"Kode {case.display_code}: {short}" in session.answer("5")
    assert session.answer("1").startswith(f"CON Pesen {case.display_code} {state}")


# SMS STATUS -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["{code}", "{plain}", "{lower}", "{lower} tolong"])
def test_status_with_a_code_answers_the_reporter_in_neutral_words(app, send_sms, typed):
    case = open_case(REPORTER)
    code = case.display_code
    body = "STATUS " + typed.format(code=code, plain=case.code, lower=code.lower())
    reply = Phone(send_sms, REPORTER).say(body)
    assert reply == text("case.status.one", code=code, case_state=state(case))
    assert "Kekerasan" not in reply and "kekerasan" not in reply


def test_status_answers_the_safe_number(app, send_sms):
    case = open_case(REPORTER, safe=False, safe_phone=SAFE)
    assert Phone(send_sms, SAFE).say(f"status {case.code}") == text(
        "case.status.one", code=case.display_code, case_state=state(case)
    )


def test_status_answers_staff(app, send_sms, organizer):
    case = open_case(REPORTER)
    with database.atomic():
        case.resolve(organizer)
    assert Phone(send_sms, ORGANIZER).say(f"STATUS {case.display_code}") == text(
        "case.status.one", code=case.display_code, case_state=text("case.reporter_state.resolved")
    )


def test_a_stranger_gets_the_unknown_code_answer(app, send_sms):
    case = open_case(REPORTER)
    stranger = Phone(send_sms, STRANGER)
    told = stranger.say(f"STATUS {case.display_code}")
    assert told == stranger.say("STATUS AAA-AAA") == text("case.status.unknown")
    assert case.display_code not in told


def test_an_unsafe_reporter_abroad_gets_the_answer_they_asked_for(app, send_sms, drain, use_africastalking):
    case = open_case(TAIWAN, safe=False)
    reply = Phone(send_sms, TAIWAN).say(f"STATUS {case.display_code}")
    assert reply == text("case.status.one", code=case.display_code, case_state=state(case))
    drain()
    assert [m.status for m in outbox(TAIWAN)] == ["sent"]
    assert [r.form["to"] for r in use_africastalking.requests] == [TAIWAN]


def test_status_alone_lists_own_cases(app, send_sms):
    first = open_case(REPORTER, days_ago=2)
    second = open_case(REPORTER)
    open_case(STRANGER)
    listed = f"{second.display_code} {state(second, short=True)}, {first.display_code} {state(first, short=True)}"
    assert Phone(send_sms, REPORTER).say("STATUS") == text("case.status.list", case_list=listed)


def test_status_alone_with_no_cases(app, send_sms):
    assert Phone(send_sms, STRANGER).say("status") == text("case.status.none")


@pytest.mark.parametrize("language", ["id", "jv", "en"])
def test_a_long_status_list_fits_two_gsm7_segments(app, send_sms, language):
    from models import Person

    Person.contact(REPORTER).update_fields(language=language)
    cases = [open_case(REPORTER, days_ago=n) for n in range(15)]
    with database.atomic():
        organizer = Staff.create(phone=ORGANIZER, name="Siti", role="organizer")
        for case in cases:
            case.acknowledge(organizer)
            case.resolve(organizer)
            case.reopen(organizer)
    reply = Phone(send_sms, REPORTER).say("STATUS")
    assert is_gsm7_basic(reply) and sms_size(reply).segments <= 2
    assert cases[0].display_code in reply and cases[-1].display_code not in reply and "..." in reply
    assert Message.select().where(Message.phone == REPORTER, Message.direction == "out").count() == 1


# A bare STATUS from a number marked unsafe (issue 16) ---------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "jv", "en"])
def test_status_alone_from_an_unsafe_number_lists_nothing_and_asks_for_the_code(app, send_sms, language):
    from models import Person
    from tests.support.neutral import forbidden_in

    reporter = Phone(send_sms, REPORTER)
    reporter.say("LAPOR")
    reporter.say("2")  # not safe: the number is marked, whoever holds the phone may be watching
    older = open_case(REPORTER, days_ago=2)
    Person.contact(REPORTER).update_fields(language=language)
    [newest] = Case.select().where(~Case.safe_to_contact)
    answer = reporter.say("STATUS")
    assert answer == text("case.status.code_needed", language)
    assert newest.display_code not in answer and older.display_code not in answer
    assert not any(text(f"case.reporter_state_short.{s}", language) in answer for s in ("new", "acknowledged"))
    assert forbidden_in(answer) == [] and is_gsm7_basic(answer) and sms_size(answer).segments == 1
    assert "STATUS" in answer
    told = reporter.say(f"STATUS {newest.display_code}")
    assert newest.display_code in told and forbidden_in(told) == [], "STATUS with the code still answers"


def test_status_alone_from_a_number_never_marked_unsafe_still_lists(app, send_sms):
    case = open_case(REPORTER)
    assert case.display_code in Phone(send_sms, REPORTER).say("STATUS")
