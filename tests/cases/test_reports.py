"""Reports by USSD and SMS: whole dialogues open one case each, alert the right staff, confirm only when safe."""

from __future__ import annotations

import pytest

from models import Case, Person
from models.case_terms import CATEGORIES, URGENT_CATEGORIES
from models.gsm import is_gsm7_basic, sms_size
from tests.support.clock import MONDAY_MORNING, frozen_at, stored
from tests.support.outbox import outbox
from tests.support.reports import ussd_report_to_safe
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
    category: str = "wages",
    country: str = "hongkong",
    safe: str = "1",
    consent: str = "1",
    story: str = "Majikan tidak bayar gaji 3 bulan",
    session_id: str | None = None,
):
    """Walk "Lapor masalah" to the end; return (session, final reply)."""
    session = ussd(phone, session_id)
    ussd_report_to_safe(session, for_whom=for_whom, category=category, country=country)
    session.answer(safe, consent)
    return session, session.answer(story)


def the_case() -> Case:
    cases = list(Case.select())
    assert len(cases) == 1, f"{len(cases)} cases"
    return cases[0]


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_by_ussd_opens_one_case_and_alerts(app, staff, ussd, drain, use_africastalking, category):
    session, reply = report_by_ussd(ussd, REPORTER, category=category)
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
    report_by_ussd(ussd, REPORTER, for_whom="2", category="violence", country="taiwan", safe="1", consent="1")
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
        "Untuk diketahui; pengurus KBMI menanganinya. Bila diteruskan ke Anda: DETAIL"
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


def test_another_safe_number_is_only_a_number_to_call(app, staff, ussd):
    report_by_ussd(ussd, REPORTER, safe="081234567099")
    case = the_case()
    assert (case.safe_to_contact, case.safe_phone) == (True, "+6281234567099")
    assert outbox(REPORTER) == [] and outbox("+6281234567099") == [], "a safe number hears nothing until it writes"
    assert "+6281234567099" in outbox(ORGANIZER, "alert")[0].text


def test_a_bad_safe_answer_asks_again(app, ussd):
    session = ussd(REPORTER)
    session.dial()
    session.answer("2", "1", "1", "1")
    assert session.answer("ya aman").startswith("CON " + text("error.safe_contact"))


def test_the_story_is_optional(app, staff, ussd):
    report_by_ussd(ussd, REPORTER, story="1")
    assert the_case().story is None


def test_the_urgent_problems_come_first_and_indonesia_is_offered(app, staff, ussd):
    session = ussd(REPORTER)
    session.dial()
    session.answer("2")
    problems = session.answer("1")
    assert [line.split(". ", 1)[1] for line in problems.splitlines()[1:4]] == [
        text("case.category.violence"),
        text("case.category.confined"),
        text("case.category.illness"),
    ], "no urgent problem is behind a next page"
    session_two, _ = report_by_ussd(ussd, "+6281234567032", category="deceived", country="indonesia")
    case = Case.get(Case.reporter_phone == "+6281234567032")
    assert (case.category, case.country) == ("deceived", "indonesia"), "cheated before leaving"
    assert text("country.indonesia") in outbox(ORGANIZER, "alert")[-1].text
