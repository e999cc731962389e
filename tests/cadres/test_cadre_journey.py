"""A villager becomes a cadre by SMS, is approved with a mentor, takes the visit a USSD registration as purna opened,
records "butuh bantuan" and the mentoring task appears; cadres get no case alerts until their mentor promotes them.
Whole SMS and USSD journeys, jobs run by a real burst worker."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Case, Staff
from models.cadre import CadreApplication
from models.returnee import Returnee
from models.task import Task
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register, register_by_ussd
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from tests.support.villages import seed_villages

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
"""A Monday morning: what waits out quiet hours goes at once."""

VILLAGER, RETURNEE, REPORTER = "+6281234567401", "+6281234567402", "+6281234567403"
WHY = "Saya purna Hong Kong, ingin membantu tetangga"


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phones(send_sms, case_staff):
    seed_villages()  # Tracap (1), Kaliwiro, Pesodongan; Tracap's organiser is ORGANIZER
    numbers = (VILLAGER, RETURNEE, REPORTER, ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL)
    return {number: Phone(send_sms, number) for number in numbers}


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires due rows."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def sent(phone: str, purpose: str | None = None) -> list[str]:
    return [m.text for m in outbox(phone, purpose) if m.status == "sent"]


def apply(phone: Phone) -> CadreApplication:
    """KADER by SMS: Tracap, visits, a why."""
    assert phone.say("KADER").startswith(text("cadre.village"))
    assert phone.say("1").startswith(text("cadre.helps"))
    assert phone.say("1").startswith(text("cadre.why"))
    assert phone.say(WHY) == text("cadre.thanks")
    return CadreApplication.get(CadreApplication.phone == phone.number)


def test_a_villager_becomes_a_cadre_takes_a_returnee_visit_and_a_mentoring_task_appears(phones, ussd, drain, runner):
    register(VILLAGER, name="Wati Lestari", village="Tracap", status="calon")
    application = apply(phones[VILLAGER])
    assert (application.village, application.helps, application.why, application.status) == (
        "Tracap",
        "visits",
        WHY,
        "pending",
    )
    drain()
    [alert] = sent(COORDINATOR, "cadre_news")
    assert alert == text(
        "cadre.sms.applied",
        id=str(application.id),
        name="Wati Lestari",
        village="Tracap",
        phone=VILLAGER,
        helps=text("cadre.helps_short.visits"),
        why=WHY,
    )
    assert phones[VILLAGER].say("KADER") == text("cadre.already_applied"), "one application at a time"

    assert phones[COORDINATOR].say(f"SETUJU {application.id}") == text(
        "cadre.approved", id=str(application.id), name="Wati Lestari", mentor="Siti Pengurus"
    )
    cadre = Staff.get(Staff.phone == VILLAGER)
    assert (cadre.role, cadre.village, cadre.active) == ("cadre", "Tracap", True)
    drain()
    assert sent(VILLAGER, "cadre_news") == [
        text("cadre.sms.welcome", name="Wati Lestari", mentor="Siti Pengurus", phone=ORGANIZER)
    ]
    assert sent(ORGANIZER, "cadre_news") == [
        text("cadre.sms.mentee", name="Wati Lestari", village="Tracap", phone=VILLAGER)
    ]
    assert phones[COORDINATOR].say(f"SETUJU {application.id}") == text("cadre.error.staff", id=str(application.id))
    assert phones[VILLAGER].say("BANTUAN") == text("staff.help.cadre"), "a cadre's own commands"

    # A returnee registers by USSD as purna, back from Taiwan: a visit for Tracap's organiser and cadre.
    register_by_ussd(ussd(RETURNEE), name="Rina Purnama", status="3", country="2")
    [returnee] = Returnee.select()
    visit = Task.get_by_id(returnee.visit_task)
    assert (visit.kind, visit.status, visit.village, visit.phone) == ("visit", "open", "Tracap", RETURNEE)
    settle(drain, runner)
    announcement = text(
        "returnee.sms.visit",
        task_id=str(visit.id),
        name="Rina Purnama",
        country=text("country.taiwan"),
        village="Tracap",
        phone=RETURNEE,
    )
    assert sent(VILLAGER, "visit_task") == [announcement]
    assert sent(ORGANIZER, "visit_task") == [announcement]
    assert sent(ORGANIZER_OTHER, "visit_task") == [], "another village's organiser is not asked"
    settle(drain, runner)
    assert len(sent(VILLAGER, "visit_task")) == 1, "announced once"

    assert phones[VILLAGER].say(f"KUNJUNG {visit.id}") == text(
        "returnee.visit.taken", task_id=str(visit.id), name="Rina Purnama", phone=RETURNEE, village="Tracap"
    )
    assert phones[ORGANIZER].say(f"KUNJUNG {visit.id}") == text(
        "returnee.visit.held", task_id=str(visit.id), name="Wati Lestari"
    )
    reply = phones[VILLAGER].say(f"CATAT KUNJUNG {visit.id} modal habis, ingin usaha 2")
    mentoring = Task.get((Task.kind == "mentoring") & (Task.phone == RETURNEE))
    assert reply == text("returnee.visit.recorded_help", task_id=str(mentoring.id))
    visit = Task.get_by_id(visit.id)
    assert (visit.status, visit.holder, visit.outcome) == ("done", VILLAGER, "[help] modal habis, ingin usaha")
    assert (mentoring.status, mentoring.village, mentoring.reason) == ("open", "Tracap", "visit_help")
    drain()
    help_text = text(
        "returnee.sms.help_visit",
        task_id=str(mentoring.id),
        name="Rina Purnama",
        village="Tracap",
        phone=RETURNEE,
        country=text("country.taiwan"),
    )
    assert sent(VILLAGER, "visit_task")[-1] == help_text
    assert sent(ORGANIZER, "visit_task")[-1] == help_text
    assert Task.visible_to(cadre).where(Task.id == mentoring.id).exists(), "the cadre sees the mentoring task"
    assert phones[VILLAGER].say(f"CATAT KUNJUNG {visit.id} lagi 1") == text(
        "returnee.visit.done", task_id=str(visit.id), name="Wati Lestari"
    ), "a visit is recorded once"


def test_a_cadre_gets_no_case_alert_until_their_mentor_promotes_them(phones, drain):
    register(VILLAGER, name="Wati Lestari", village="Tracap", status="calon")
    application = apply(phones[VILLAGER])
    phones[COORDINATOR].say(f"SETUJU {application.id}")

    reporter = phones[REPORTER]
    for answer in ("LAPOR", "1", "1", "4", "1"):
        reporter.say(answer)
    reporter.say("1 gaji belum dibayar 3 bulan")
    assert outbox(ORGANIZER, "alert"), "the organiser is alerted"
    assert outbox(VILLAGER, "alert") == [], "a cadre gets no case alert"
    [case] = Case.select()
    assert phones[VILLAGER].say(f"TERIMA {case.code}") == text(
        "case.error.role", code=case.display_code, status=text("case.status_short.new")
    ), "a cadre cannot take a case"
    assert "gaji belum dibayar" not in phones[VILLAGER].say(f"DETAIL {case.code}"), "nor read it"
    assert case.display_code not in phones[VILLAGER].say("KASUS"), "nor list it"

    assert phones[ORGANIZER_OTHER].say(f"PROMOSI {VILLAGER}") == text("cadre.error.not_allowed")
    assert phones[ORGANIZER].say("PROMOSI 0812-3456-7401") == text("cadre.promoted", name="Wati Lestari")
    assert Staff.get(Staff.phone == VILLAGER).role == "organizer"
    assert CadreApplication.get_by_id(application.id).promoted_by == ORGANIZER
    drain()
    assert sent(VILLAGER, "cadre_news")[-1] == text("cadre.sms.promoted", name="Wati Lestari")
    assert phones[ORGANIZER].say(f"PROMOSI {VILLAGER}") == text("cadre.error.not_cadre", phone=VILLAGER)

    other = phones[RETURNEE]
    for answer in ("LAPOR", "1", "1", "4", "1"):
        other.say(answer)
    other.say("1 paspor ditahan agen")
    assert len(outbox(VILLAGER, "alert")) == 1, "promoted: the next report alerts them"


def test_tolak_tells_the_applicant_kindly_and_only_coordinators_decide(phones, drain):
    register(VILLAGER, name="Wati Lestari", village="Tracap", status="calon")
    application = apply(phones[VILLAGER])
    assert phones[ORGANIZER].say(f"SETUJU {application.id}") == text("cadre.error.not_allowed")
    assert phones[COORDINATOR].say("SETUJU 999") == text("cadre.unknown_application", id="999")
    assert phones[COORDINATOR].say(f"TOLAK {application.id}") == text(
        "cadre.refused", id=str(application.id), name="Wati Lestari"
    )
    assert phones[COORDINATOR].say(f"SETUJU {application.id}") == text("cadre.error.decided", id=str(application.id))
    assert Staff.get_or_none(Staff.phone == VILLAGER) is None
    drain()
    assert sent(VILLAGER, "cadre_news") == [text("cadre.sms.refused", name="Wati Lestari")]


def test_kader_from_someone_not_registered_asks_them_to_register_first(phones):
    assert phones[VILLAGER].say("KADER") == text("cadre.not_registered")
    assert phones[ORGANIZER].say("KADER") == text("cadre.already_staff")
    assert CadreApplication.select().count() == 0


def test_jadi_kader_in_the_ussd_main_menu_for_registered_people(phones, ussd, drain):
    register(VILLAGER, name="Wati Lestari", village="Tracap", status="purna")
    session = ussd(VILLAGER)
    menu = session.dial()
    assert text("main.cadre") not in menu, "on the second page"
    page = session.answer("98")
    option = next(line.split(".")[0] for line in page.splitlines() if line.endswith(text("main.cadre")))
    assert text("cadre.village") in session.answer(option)
    session.answer("2")  # Kaliwiro: no organiser there
    session.answer("5")  # all
    end = session.answer("Ingin membantu desa")
    assert end == "END " + text("cadre.thanks")
    application = CadreApplication.get(CadreApplication.phone == VILLAGER)
    assert (application.village, application.helps) == ("Kaliwiro", "all")
    session.post("*".join(session.inputs))  # a replayed last step applies once
    assert CadreApplication.select().count() == 1
    assert phones[COORDINATOR].say(f"SETUJU {application.id}") == text(
        "cadre.approved", id=str(application.id), name="Wati Lestari", mentor="Bu Koordinator"
    )
    assert CadreApplication.mentor_of(VILLAGER).phone == COORDINATOR, "no organiser in Kaliwiro: the coordinator"
    again = ussd(VILLAGER)
    again.dial()
    again.answer("98")
    assert again.answer(option) == "END " + text("cadre.already_staff")
