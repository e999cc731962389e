"""The SMS report where SMS is the only channel: whole conversations, read from what the fake Africa's Talking
delivered to the reporter's number. Safety first, neutral words, few SMS, one end (DESIGN "The SMS report")."""

from __future__ import annotations

import pytest

from models import Case, CaseEvent, Message, Person
from tests.support.clock import MONDAY_MORNING, frozen_at
from tests.support.neutral import forbidden_in
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text

REPORTER = "+6281234567041"
TAIWAN = "+886912345679"
SAFE_NUMBER = "+6281234567099"


@pytest.fixture
def staff(case_staff):
    """Who a case alerts (see conftest)."""


def delivered_to(fake_at, phone: str) -> list[str]:
    """The texts the fake Africa's Talking was asked to deliver to `phone`, oldest first."""
    return [r.form["message"] for r in fake_at.requests if phone in r.form["to"].split(",")]


def the_case() -> Case:
    [case] = Case.select()
    return case


@frozen_at(MONDAY_MORNING)
def test_an_unsafe_report_leaves_two_neutral_sms_and_an_urgent_case(app, staff, send_sms, drain, use_africastalking):
    reporter = Phone(send_sms, REPORTER)
    assert reporter.say("LAPOR") == text("report.sms.safe")
    end = reporter.say("2")
    case = the_case()
    assert end == text("report.sms.end", case_code=case.display_code)
    drain()

    inbox = delivered_to(use_africastalking, REPORTER)
    assert inbox == [text("report.sms.safe"), end], "the safety question and the one neutral end, nothing else"
    assert [forbidden_in(sms) for sms in inbox] == [[], []]
    assert (case.severity, case.category, case.safe_to_contact, case.channel) == ("urgent", "other", False, "sms")
    assert Person.for_phone(REPORTER).unsafe_at is not None
    assert {m.phone for m in outbox(purpose="alert")} == {ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL}
    assert text("case.contact_unsafe") in outbox(ORGANIZER, "alert")[0].text


def test_an_unsafe_report_with_its_story_is_filed_under_the_problem_its_words_name(app, staff, send_sms):
    reporter = Phone(send_sms, REPORTER)
    assert reporter.say("LAPOR majikan menahan paspor saya").startswith(text("report.sms.safe"))
    reporter.say("2")
    case = the_case()
    assert (case.category, case.severity, case.story) == ("documents", "urgent", "majikan menahan paspor saya")


def test_status_from_the_unsafe_number_still_answers(app, staff, send_sms):
    reporter = Phone(send_sms, REPORTER)
    reporter.say("LAPOR")
    reporter.say("2")
    code = the_case().display_code
    answer = reporter.say(f"STATUS {code}")
    assert code in answer and forbidden_in(answer) == []


def test_a_safe_report_asks_the_rest_in_at_most_six_sms(app, staff, send_sms, drain, use_africastalking):
    reporter = Phone(send_sms, REPORTER)
    assert reporter.say("LAPOR") == text("report.sms.safe")
    assert reporter.say("1").startswith(text("report.for_whom"))  # SMS is safe there: the questions may name things
    assert reporter.say("1").startswith(text("report.category"))
    assert reporter.say("4").startswith(text("report.country"))  # wages: after the urgent problems
    assert reporter.say("1").startswith(text("report.sms.consent_story"))
    end = reporter.say("1 gaji belum dibayar 3 bulan")
    case = the_case()
    assert end == text("report.sms.end", case_code=case.display_code)
    drain()

    inbox = delivered_to(use_africastalking, REPORTER)
    assert len(inbox) == 6 and sum(case.display_code in sms for sms in inbox) == 1
    assert forbidden_in(inbox[0]) == [] and forbidden_in(inbox[-1]) == [], "neutral before yes, and at the end"
    assert (case.for_whom, case.category, case.country, case.severity) == ("self", "wages", "hongkong", "normal")
    assert (case.safe_to_contact, case.consent_to_refer, case.story) == (True, True, "gaji belum dibayar 3 bulan")
    assert outbox(REPORTER, "confirmation") == [], "the end is the one confirmation"


def test_lapor_with_its_story_from_taiwan_asks_consent_alone(app, staff, send_sms, drain, use_africastalking):
    reporter = Phone(send_sms, TAIWAN)
    assert reporter.say("LAPOR agen memotong gaji dan tidak boleh pulang").startswith(text("report.sms.safe"))
    for answer in ("1", "3", "3"):  # safe; for someone else; illness (the third of the urgent problems, listed first)
        reporter.say(answer)
    assert reporter.say("2").startswith(text("report.sms.consent"))  # Taiwan
    end = reporter.say("2")
    case = the_case()
    assert end == text("report.sms.end", case_code=case.display_code)
    assert (case.for_whom, case.category, case.country, case.consent_to_refer) == ("other", "illness", "taiwan", False)
    assert case.story == "agen memotong gaji dan tidak boleh pulang"
    drain()
    assert len(delivered_to(use_africastalking, TAIWAN)) == 6, "replies go abroad: the reporter asked for them"


def test_another_safe_number_ends_the_questions_and_hears_nothing(app, staff, send_sms, drain, use_africastalking):
    reporter = Phone(send_sms, REPORTER)
    reporter.say("LAPOR")
    end = reporter.say("0812 3456 7099")
    case = the_case()
    assert end == text("report.sms.end", case_code=case.display_code)
    assert (case.safe_phone, case.safe_to_contact) == (SAFE_NUMBER, True)
    drain()
    assert delivered_to(use_africastalking, SAFE_NUMBER) == [] and outbox(SAFE_NUMBER) == []
    assert SAFE_NUMBER in outbox(ORGANIZER, "alert")[0].text, "the organisers have the number to call"


def test_a_bad_consent_answer_asks_again_and_a_replay_opens_no_second_case(app, staff, send_sms):
    reporter = Phone(send_sms, REPORTER)
    for number, answer in enumerate(("LAPOR", "1", "1", "4", "1")):
        reporter.say(answer, id=f"rep-{number}")
    assert reporter.say("mungkin", id="rep-5").startswith(text("error.consent_reply"))
    reporter.say("2", id="rep-6")
    assert send_sms(REPORTER, "2", id="rep-6").get_json()["status"] == "duplicate"
    assert Case.select().count() == 1 and CaseEvent.select().count() == 1
    assert Message.select().where(Message.purpose == "alert").count() == 2


@pytest.mark.parametrize(
    "story,category",
    [
        ("majikan memukul saya", "violence"),
        ("saya disiksa dan dikurung", "violence"),
        ("agen menyekap kami di asrama", "confined"),
        ("paspor saya ditahan", "documents"),
        ("gaji belum dibayar", "wages"),
        ("mau pulang", "stranded"),
        ("halo", "other"),
    ],
)
def test_an_unsafe_report_reads_its_problem_from_the_words_people_use(app, staff, send_sms, story, category):
    reporter = Phone(send_sms, REPORTER)
    reporter.say(f"LAPOR {story}")
    reporter.say("2")
    assert the_case().category == category
