"""A purna's year after return, with time moved: the visit their registration (or profile change) opened is reminded
once after 7 days and reaches the coordinators after 14 while nobody takes it; check-ins at 1, 3, 6 and 12 months,
09:00, once each, their answers feeding a mentoring task and the trainings list; nothing to an opted-out number or
one abroad, and what falls in quiet hours waits for the morning. Jobs run by a real burst worker and the sweep."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Message, Staff, Training, database
from models.returnee import CHECKIN_MONTHS, Returnee, ReturneeStep, checkin_due
from models.settings import to_utc
from models.task import Task
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register, register_by_ussd
from tests.support.staff import COORDINATOR, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from tests.support.villages import seed_villages

JAKARTA = ZoneInfo("Asia/Jakarta")
RETURNED = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
"""A Monday morning: the returnee registers by USSD as purna."""

RETURNEE, QUIET, ABROAD, CADRE = "+6281234567601", "+6281234567602", "+85291234567", "+6281234567609"


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def local(stored: dt.datetime) -> dt.datetime:
    return stored.replace(tzinfo=dt.UTC).astimezone(JAKARTA)


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires due rows."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def sent(phone: str, purpose: str) -> list[str]:
    return [m.text for m in outbox(phone, purpose) if m.status == "sent"]


@pytest.fixture
def team(app, case_staff):
    seed_villages()
    Staff.create(phone=CADRE, name="Wati Kader", role="cadre", village="Tracap")


def register_purna(ussd, phone: str, name: str = "Rina Purnama") -> Returnee:
    with at(RETURNED):
        register_by_ussd(ussd(phone), name=name, status="3", country="2")  # Tracap, purna, Taiwan
    return Returnee.get(Returnee.phone == phone)


def visit_text(key: str, returnee: Returnee) -> str:
    return text(
        key,
        task_id=str(returnee.visit_task),
        name=returnee.name,
        country=text("country.taiwan"),
        village="Tracap",
        phone=returnee.phone,
    )


def test_checkins_at_1_3_6_and_12_months_go_once_each_and_their_answers_feed_tasks_and_trainings(
    team, ussd, send_sms, drain, runner
):
    returnee = register_purna(ussd, RETURNEE)
    phone = Phone(send_sms, RETURNEE)
    dues = {months: checkin_due(returnee.returned_at, months) for months in CHECKIN_MONTHS}
    assert [local(due) for due in dues.values()] == [
        dt.datetime(2026, 12, 30, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2027, 2, 28, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2027, 5, 30, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2027, 11, 30, 9, 0, tzinfo=JAKARTA),
    ]
    with at(RETURNED):
        settle(drain, runner)
        with database.atomic():
            Training.add("KOPI7", "Budidaya kopi", "economic", to_utc(dt.datetime(2027, 6, 20, 8, 0)), "Balai Desa", 20)
    question = text("returnee.sms.checkin")

    with at(local(dues[1]) - dt.timedelta(minutes=1)):
        settle(drain, runner)
        assert sent(RETURNEE, "checkin") == [], "not before 09:00"
    with at(local(dues[1])):
        settle(drain, runner)
        assert sent(RETURNEE, "checkin") == [question]
        settle(drain, runner)
        assert phone.say("1") == text("returnee.checkin.thanks")
        assert phone.say("1") != text("returnee.checkin.thanks"), "answered once: a second 1 is no answer"

    with at(local(dues[3])):
        settle(drain, runner)
        assert sent(RETURNEE, "checkin") == [question] * 2
        assert phone.say("2") == text("returnee.checkin.thanks_help")
        mentoring = Task.get((Task.kind == "mentoring") & (Task.phone == RETURNEE))
        assert (mentoring.reason, mentoring.village, mentoring.status) == ("checkin_help", "Tracap", "open")
        drain()
        help_text = text(
            "returnee.sms.help_checkin",
            task_id=str(mentoring.id),
            name="Rina Purnama",
            village="Tracap",
            phone=RETURNEE,
            country=text("country.taiwan"),
        )
        assert sent(ORGANIZER, "visit_task")[-1] == help_text and sent(CADRE, "visit_task")[-1] == help_text
        assert help_text not in sent(ORGANIZER_OTHER, "visit_task"), "another village's organiser is not told"

    with at(local(dues[6])):
        settle(drain, runner)
        assert phone.say("3") == text("returnee.checkin.thanks_training")
        drain()
        [listing] = sent(RETURNEE, "returnee_news")
        assert listing == text("returnee.sms.trainings", training_list="KOPI7 Budidaya kopi 20/06 08:00")

    with at(local(dues[12])):
        settle(drain, runner)  # no answer this time: that is fine
    with at(local(dues[12]) + dt.timedelta(days=30)):
        settle(drain, runner)
        assert sent(RETURNEE, "checkin") == [question] * 4, "each check-in once, none after the year"
    answers = [step.answer for step in ReturneeStep.select().where(ReturneeStep.kind.startswith("checkin"))]
    assert answers == ["fine", "help", "training", None]


def test_no_checkin_reaches_an_opted_out_number_or_one_abroad(team, ussd, send_sms, drain, runner, use_africastalking):
    quiet = register_purna(ussd, QUIET, name="Sari Diam")
    register_purna(ussd, RETURNEE)
    with at(RETURNED):
        Phone(send_sms, QUIET).say("BERHENTI")
        register(ABROAD, name="Dewi Jauh", village="Tracap", status="purna", country="hongkong")
        with database.atomic():
            Returnee.note_status(ABROAD, None, "purna")  # as the registration's end does
    for months in CHECKIN_MONTHS:
        with at(local(checkin_due(quiet.returned_at, months))):
            settle(drain, runner)
    for number in (QUIET, ABROAD):
        checkins = outbox(number, "checkin")
        assert [m.status for m in checkins] == ["refused"] * 4, number
        assert all(m.last_error for m in checkins), "the reason is kept"
    asked = [r.form["to"] for r in use_africastalking.requests if r.form["message"] == text("returnee.sms.checkin")]
    assert asked == [RETURNEE] * 4, "only the one who may be asked is, through the gateway"


def test_an_untaken_visit_reminds_once_after_7_days_then_reaches_the_coordinators(team, ussd, send_sms, drain, runner):
    returnee = register_purna(ussd, RETURNEE)
    taken = register_purna(ussd, QUIET, name="Sari Diam")
    with at(RETURNED):
        settle(drain, runner)
        assert sent(CADRE, "visit_task") == [visit_text("returnee.sms.visit", r) for r in (returnee, taken)]
        Phone(send_sms, CADRE).say(f"KUNJUNG {taken.visit_task}")
    with at(RETURNED + dt.timedelta(days=7)):
        settle(drain, runner)
        settle(drain, runner)
        reminder = visit_text("returnee.sms.visit_reminder", returnee)
        assert sent(CADRE, "visit_task")[2:] == [reminder] and sent(ORGANIZER, "visit_task")[2:] == [reminder]
        assert sent(COORDINATOR, "visit_task") == []
    with at(RETURNED + dt.timedelta(days=14)):
        settle(drain, runner)
        assert sent(COORDINATOR, "visit_task") == [visit_text("returnee.sms.visit_escalation", returnee)]
        assert len(sent(CADRE, "visit_task")) == 3, "the village is reminded once"
    with at(RETURNED + dt.timedelta(days=40)):
        settle(drain, runner)
        assert len(sent(COORDINATOR, "visit_task")) == 1
    assert not any(taken.phone in m for m in sent(COORDINATOR, "visit_task")), "a taken visit is not chased"


def test_a_reminder_due_in_quiet_hours_waits_for_the_morning(team, ussd, drain, runner):
    returnee = register_purna(ussd, RETURNEE)
    with at(RETURNED):
        settle(drain, runner)
    night = RETURNED.replace(hour=22) + dt.timedelta(days=7)
    with at(night):
        settle(drain, runner)
        [waiting] = [m for m in outbox(CADRE, "visit_task") if "Pengingat" in m.text]
        assert waiting.status == "queued", "22:00: it waits"
    with at(night.replace(hour=6) + dt.timedelta(days=1)):
        settle(drain, runner)
        assert Message.get_by_id(waiting.id).status == "sent"
    assert sent(CADRE, "visit_task")[-1] == visit_text("returnee.sms.visit_reminder", returnee)


def test_a_profile_changed_to_purna_opens_a_visit_and_a_replay_opens_nothing_more(team, ussd, drain, runner):
    with at(RETURNED):
        register(RETURNEE, name="Rina Purnama", village="Tracap", status="aktif", country="taiwan")
        assert Returnee.select().count() == 0
        session = ussd(RETURNEE)
        session.dial()
        session.answer("1")  # Profil saya
        session.answer("2")  # change status
        session.answer("3")  # purna
        assert session.answer("2") == "END " + text("profile.saved")  # Taiwan
        session.post("*".join(session.inputs))  # the last step replayed
        again = ussd(RETURNEE)
        again.dial()
        again.answer("1", "2", "3", "2")  # purna again: no new return
        [returnee] = Returnee.select()
        assert (returnee.name, returnee.country, returnee.village) == ("Rina Purnama", "taiwan", "Tracap")
        settle(drain, runner)
        assert sent(CADRE, "visit_task") == [visit_text("returnee.sms.visit", returnee)]


def test_hapus_erases_the_return_and_no_checkin_follows(team, ussd, send_sms, drain, runner):
    returnee = register_purna(ussd, RETURNEE)
    with at(RETURNED):
        settle(drain, runner)
        phone = Phone(send_sms, RETURNEE)
        assert phone.say("HAPUS") == text("rights.erase_confirm")
        assert phone.say("YA") == text("rights.erased")
        assert Returnee.select().count() == 0 and ReturneeStep.select().count() == 0
        assert Task.select().where(Task.phone == RETURNEE).count() == 0
    with at(local(checkin_due(returnee.returned_at, 1))):
        settle(drain, runner)
        assert outbox(RETURNEE, "checkin") == []


def test_a_village_without_organisers_or_cadres_has_its_visit_offered_to_every_organiser(team, ussd, drain, runner):
    with at(RETURNED):
        session = ussd(RETURNEE)
        session.dial()
        session.answer("1", "1", "Rina Purnama", "2", "3", "2")  # Kaliwiro: nobody there
        returnee = Returnee.get(Returnee.phone == RETURNEE)
        settle(drain, runner)
    offered = text(
        "returnee.sms.visit",
        task_id=str(returnee.visit_task),
        name="Rina Purnama",
        country=text("country.taiwan"),
        village="Kaliwiro",
        phone=RETURNEE,
    )
    assert sent(ORGANIZER, "visit_task") == [offered] and sent(ORGANIZER_OTHER, "visit_task") == [offered]
    assert sent(CADRE, "visit_task") == [], "a cadre is asked only for their own village"
