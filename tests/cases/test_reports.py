"""Reports by USSD and SMS: whole dialogues open one case each, alert the right staff, confirm only when safe."""

from __future__ import annotations

import pytest

from models import Case, CaseEvent, Message, Person
from models.case_terms import CATEGORIES, URGENT_CATEGORIES
from models.gsm import is_gsm7_basic, sms_size
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text

REPORTER = "+6281234567031"
TAIWAN = "+886912345678"


@pytest.fixture
def staff(case_staff):
    """Who a case alerts (see conftest)."""


def report_by_ussd(
    ussd,
    phone: str,
    *,
    for_whom: str = "1",
    category: int = 1,
    country: str = "1",
    safe: str = "1",
    consent: str = "1",
    story: str = "Majikan tidak bayar gaji 3 bulan",
    session_id: str | None = None,
):
    """Walk "Lapor masalah" to the end; return (session, final reply)."""
    session = ussd(phone, session_id)
    session.dial()
    session.answer("2", for_whom)
    if category > 6:
        session.answer("98")
    session.answer(str(category), country, safe, consent)
    return session, session.answer(story)


def the_case() -> Case:
    cases = list(Case.select())
    assert len(cases) == 1, f"{len(cases)} cases"
    return cases[0]


@pytest.mark.parametrize("number,category", list(enumerate(CATEGORIES, start=1)))
def test_every_category_by_ussd_opens_one_case_and_alerts(
    app, staff, ussd, drain, use_africastalking, number, category
):
    session, reply = report_by_ussd(ussd, REPORTER, category=number)
    case = the_case()
    assert reply == "END " + text("report.done", case_code=case.display_code)
    assert (case.category, case.severity) == (category, "urgent" if category in URGENT_CATEGORIES else "normal")
    assert (case.for_whom, case.country, case.safe_to_contact, case.consent_to_refer) == (
        "self",
        "hongkong",
        True,
        True,
    )
    assert case.story == "Majikan tidak bayar gaji 3 bulan" and case.status == "new"
    assert [e.kind for e in case.events] == ["opened"]
    drain()
    alerted = {m.phone for m in outbox(purpose="alert")}
    if category in URGENT_CATEGORIES:
        assert alerted == {ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL}
    else:
        assert alerted == {ORGANIZER, ORGANIZER_OTHER}
    sent_to = {phone for request in use_africastalking.requests for phone in request.form["to"].split(",")}
    assert sent_to == alerted | {REPORTER}
    assert [m.text for m in outbox(REPORTER)] == [text("case.confirmation", code=case.display_code)]


def test_a_replayed_final_step_opens_one_case(app, staff, ussd):
    session, reply = report_by_ussd(ussd, REPORTER)
    assert session.post("*".join(session.inputs)).get_data(as_text=True) == reply
    assert Case.select().count() == 1 and len(outbox(purpose="alert")) == 2


def test_the_village_organiser_is_alerted_first(app, staff, ussd):
    Person.create(phone=REPORTER, village="Tracap")
    report_by_ussd(ussd, REPORTER)
    assert [m.phone for m in outbox(purpose="alert")] == [ORGANIZER, ORGANIZER_OTHER]
    assert the_case().village == "Tracap"


def test_alert_says_what_staff_need_in_two_gsm7_segments(app, staff, ussd):
    report_by_ussd(ussd, REPORTER, for_whom="2", category=3, country="2", safe="1", consent="1")
    case = the_case()
    alert = outbox(ORGANIZER, "alert")[0].text
    assert alert == (
        f"KASUS BARU MENDESAK {case.display_code}: Kekerasan, Taiwan, untuk keluarga pelapor. "
        f"Aman dihubungi: {REPORTER}. Balas TERIMA {case.display_code}"
    )
    assert is_gsm7_basic(alert) and sms_size(alert).segments <= 2
    official = outbox(OFFICIAL, "alert")[0].text
    assert official == (
        f"KASUS MENDESAK {case.display_code}: Kekerasan, Taiwan, untuk keluarga pelapor. "
        "Untuk diketahui; pengurus KBMI menanganinya. Bila dirujuk ke Anda: DETAIL"
    )
    assert REPORTER not in official and "TERIMA" not in official, (
        "an official sees who reported only after a referral with consent, and cannot take an unreferred case"
    )


@frozen_at(MONDAY_MORNING)
def test_an_unsafe_reporter_gets_nothing_and_staff_are_warned(app, staff, ussd, drain, use_africastalking):
    report_by_ussd(ussd, REPORTER, safe="2")
    case = the_case()
    assert not case.safe_to_contact and case.contact_phone is None
    assert Person.for_phone(REPORTER).unsafe_at == stored(MONDAY_MORNING)
    assert outbox(REPORTER) == []
    assert text("case.contact_unsafe") in outbox(ORGANIZER, "alert")[0].text
    drain()
    assert REPORTER not in {p for r in use_africastalking.requests for p in r.form["to"].split(",")}


def test_another_safe_number_gets_the_confirmation(app, staff, ussd):
    report_by_ussd(ussd, REPORTER, safe="081234567099")
    case = the_case()
    assert (case.safe_to_contact, case.safe_phone) == (True, "+6281234567099")
    assert outbox(REPORTER) == [] and len(outbox("+6281234567099", "confirmation_other")) == 1
    assert "+6281234567099" in outbox(ORGANIZER, "alert")[0].text


def test_a_bad_safe_answer_asks_again(app, ussd):
    session = ussd(REPORTER)
    session.dial()
    session.answer("2", "1", "1", "1")
    assert session.answer("ya aman").startswith("CON " + text("error.safe_contact"))


def test_the_story_is_optional(app, staff, ussd):
    report_by_ussd(ussd, REPORTER, story="1")
    assert the_case().story is None


def test_lapor_by_sms_from_taiwan_with_the_story_first(app, staff, send_sms, drain, use_africastalking):
    phone = Phone(send_sms, TAIWAN)
    first = phone.say("LAPOR paspor saya ditahan agen, tidak boleh pulang")
    assert first.startswith(text("report.for_whom"))
    for answer in ("3", "2", "2", "1"):
        phone.say(answer)
    reply = phone.say("2")
    case = the_case()
    assert reply == text("report.done", case_code=case.display_code)
    assert (case.reporter_phone, case.for_whom, case.category, case.country) == (TAIWAN, "other", "documents", "taiwan")
    assert case.story == "paspor saya ditahan agen, tidak boleh pulang" and not case.consent_to_refer
    assert case.channel == "sms"
    drain()
    assert {m.status for m in outbox(TAIWAN)} == {"sent"}, "replies and the confirmation go abroad: asked for"
    assert outbox(TAIWAN, "confirmation")


def test_lapor_by_sms_asks_the_story_last(app, staff, send_sms):
    phone = Phone(send_sms, REPORTER)
    for answer in ("LAPOR", "1", "1", "1", "1", "1"):
        phone.say(answer)
    assert phone.say("gaji belum dibayar") == text("report.done", case_code=the_case().display_code)


def test_a_replayed_sms_opens_no_second_case(app, staff, send_sms):
    phone = Phone(send_sms, REPORTER)
    for number, answer in enumerate(("LAPOR", "1", "1", "1", "1", "1", "gaji")):
        phone.say(answer, id=f"rep-{number}")
    assert send_sms(REPORTER, "gaji", id="rep-6").get_json()["status"] == "duplicate"
    assert Case.select().count() == 1 and CaseEvent.select().count() == 1
    assert Message.select().where(Message.purpose == "alert").count() == 2
