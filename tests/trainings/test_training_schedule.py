"""A training's scheduled SMS: the reminder at 07:00 the day before, the follow-ups 30 and 90 days after the
start at 09:00 and their answers, each sent once by its RQ job or, when Redis lost the job, by the sweep.
Time moves with time-machine."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import catalog
from menus.features.trainings.jobs import training_specs
from models import (
    Conversation,
    Enrollment,
    Task,
    Training,
    TrainingStep,
    database,
)
from models.jobs import enqueue_after_commit
from models.settings import to_utc
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text

JAKARTA = ZoneInfo("Asia/Jakarta")
ADDED = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
STARTS = dt.datetime(2026, 12, 10, 8, 0)
"""Local start of the coffee training: the reminder is due 9 December 07:00, follow-ups 9 January and
10 March 09:00."""
REMINDER_DUE = dt.datetime(2026, 12, 9, 7, 0, tzinfo=JAKARTA)
FOLLOWUP_30 = dt.datetime(2027, 1, 9, 9, 0, tzinfo=JAKARTA)
FOLLOWUP_90 = dt.datetime(2027, 3, 10, 9, 0, tzinfo=JAKARTA)
SIGNED, WAITING, GONE = "+6281234567201", "+6281234567202", "+6281234567203"


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def params(training: Training) -> dict[str, str]:
    return {"code": training.code, "title": training.title, "date": training.starts_label, "place": training.place}


@pytest.fixture
def training(app, send_sms):
    """KOPI1 (capacity 2), added on 1 December with its step jobs enqueued: SIGNED holds the seat, WAITING
    waits, GONE signed up and cancelled."""
    with at(ADDED):
        with database.atomic():
            added = Training.add("KOPI1", "Budidaya kopi", "economic", to_utc(STARTS), "Balai Desa Tracap", 2)
        enqueue_after_commit(training_specs(added))
        for phone in (SIGNED, GONE, WAITING):
            register(phone)
            Phone(send_sms, phone).say("LATIH KOPI1")
        Phone(send_sms, GONE).say("BATAL KOPI1")
    return Training.get_by_id(added.id)


def reminders() -> list[str]:
    return sorted(m.phone for m in outbox(purpose="reminder"))


def test_the_reminder_goes_at_seven_the_day_before_to_the_signed_up_only_and_once(training, drain, runner):
    statuses = {e.phone: e.status for e in Enrollment.select()}
    assert statuses == {SIGNED: "signed_up", WAITING: "signed_up", GONE: "cancelled"}, "GONE's seat went to WAITING"
    with at(REMINDER_DUE - dt.timedelta(minutes=1)):
        settle(drain, runner)
        assert reminders() == []
    with at(REMINDER_DUE):
        settle(drain, runner)
        assert reminders() == [SIGNED, WAITING]
        [one] = outbox(SIGNED, "reminder")
        assert one.text == text("training.sms.reminder", **params(training)) and one.status == "sent"
    with at(REMINDER_DUE + dt.timedelta(hours=1)):
        settle(drain, runner)
    assert reminders() == [SIGNED, WAITING], "the job, the sweep and a retry send it once"


def test_a_reminder_whose_job_redis_lost_is_sent_once_by_the_sweep(training, app, drain, runner):
    app.extensions["redis"].flushdb()
    with at(REMINDER_DUE + dt.timedelta(minutes=3)):
        drain()
        assert reminders() == [], "no job: nothing sent until the sweep"
        settle(drain, runner)
        assert reminders() == [SIGNED, WAITING]
        settle(drain, runner)
    assert reminders() == [SIGNED, WAITING]


def test_moving_a_training_moves_its_reminder_and_tells_the_participants(training, drain, runner):
    with at(ADDED + dt.timedelta(hours=1)):
        result = runner.invoke(args=["training", "move", "--code", "kopi1", "--starts", "2026-12-17 08:00"])
        assert result.exit_code == 0, result.output
        drain()
        moved = Training.get_by_id(training.id)
        assert sorted(m.phone for m in outbox(purpose="training_news") if "PINDAH" in m.text) == [SIGNED, WAITING]
        assert outbox(SIGNED, "training_news")[-1].text == text("training.sms.moved", **params(moved))
    with at(REMINDER_DUE):
        settle(drain, runner)
        assert reminders() == [], "the old reminder time passes quietly"
    with at(dt.datetime(2026, 12, 16, 7, 0, tzinfo=JAKARTA)):
        settle(drain, runner)
        assert reminders() == [SIGNED, WAITING]
        assert outbox(SIGNED, "reminder")[0].text == text("training.sms.reminder", **params(moved))


def test_a_cancelled_training_sends_no_reminder(training, drain, runner):
    with at(ADDED + dt.timedelta(hours=1)):
        assert runner.invoke(args=["training", "cancel", "--code", "KOPI1"]).exit_code == 0
        drain()
        assert sorted(m.phone for m in outbox(purpose="training_news") if "DIBATALKAN" in m.text) == [SIGNED, WAITING]
    with at(REMINDER_DUE):
        settle(drain, runner)
    assert reminders() == []


def test_a_training_added_at_night_for_the_next_morning_reminds_at_six_not_in_the_night(app, drain, runner, send_sms):
    with at(dt.datetime(2026, 12, 1, 22, 0, tzinfo=JAKARTA)):
        assert (
            runner.invoke(
                args=[
                    "training",
                    "add",
                    "--code",
                    "PAGI1",
                    "--title",
                    "Tabungan",
                    "--starts",
                    "2026-12-02 09:00",
                    "--place",
                    "Balai Desa",
                    "--capacity",
                    "5",
                ]
            ).exit_code
            == 0
        )
        register(SIGNED)
        Phone(send_sms, SIGNED).say("LATIH PAGI1")
        settle(drain, runner)
        [reminder] = outbox(SIGNED, "reminder")
        assert reminder.status == "queued"
        assert reminder.next_attempt_at == to_utc(dt.datetime(2026, 12, 2, 6, 0)), "quiet hours: waits for 06:00"
    with at(dt.datetime(2026, 12, 2, 6, 0, tzinfo=JAKARTA)):
        settle(drain, runner)
        assert outbox(SIGNED, "reminder")[0].status == "sent"


# Follow-ups ----------------------------------------------------------------------------------------------


@pytest.fixture
def held(training, send_sms, case_staff):
    """SIGNED attended; WAITING (promoted to a seat) did not come."""
    with at(dt.datetime(2026, 12, 10, 12, 0, tzinfo=JAKARTA)):
        Phone(send_sms, ORGANIZER).say(f"HADIR KOPI1 {SIGNED}")
    return training


def followups(stage: int) -> list[str]:
    return sorted(m.phone for m in outbox(purpose="followup") if f"{stage} hari" in m.text)


def test_the_30_day_follow_up_asks_attendees_only_and_takes_the_answer_by_reply(held, send_sms, drain, runner):
    with at(FOLLOWUP_30 - dt.timedelta(minutes=1)):
        settle(drain, runner)
        assert followups(30) == []
    with at(FOLLOWUP_30):
        settle(drain, runner)
        assert followups(30) == [SIGNED], "absentees get no follow-up"
        assert outbox(SIGNED, "followup")[0].text == text("training.sms.followup30", **params(held))
    with at(FOLLOWUP_30 + dt.timedelta(hours=30)):
        assert Phone(send_sms, SIGNED).say("1") == text("followup.thanks")
        enrollment = Enrollment.get(Enrollment.phone == SIGNED)
        assert (enrollment.answer_30, enrollment.answered_30_at) == ("applied", to_utc(dt.datetime(2027, 1, 10, 15)))
        assert Phone(send_sms, SIGNED).say("3").startswith(catalog.raw_text("sms.unknown", "id").split("{")[0]), (
            "the question is answered: a second answer is an ordinary message"
        )
    assert Task.select().count() == 0


def test_needs_help_opens_a_mentoring_task_and_alerts_the_organisers_once(held, send_sms, drain, runner):
    with at(FOLLOWUP_30):
        settle(drain, runner)
        assert Phone(send_sms, SIGNED).say("3") == text("followup.thanks_help")
    [task] = Task.select()
    assert task.reason == "help"
    alerts = outbox(purpose="alert")
    assert sorted(m.phone for m in alerts) == sorted([ORGANIZER, ORGANIZER_OTHER])
    assert alerts[0].text == text(
        "training.mentoring.task.help", task_id=str(task.id), name="Sri Lestari", phone=SIGNED, **params(held)
    )


def test_the_follow_up_may_be_answered_in_words_as_a_basic_phone_user_types_them(held, send_sms, drain, runner):
    with at(FOLLOWUP_30):
        settle(drain, runner)
        phone = Phone(send_sms, SIGNED)
        assert phone.say("sudah pak").startswith(text("error.choice")), "not the label: the question again"
        assert phone.say("Butuh  bantuan!") == text("followup.thanks_help"), "the label typed instead of 3"
    [task] = Task.select()
    assert task.reason == "help"
    with at(FOLLOWUP_90):
        settle(drain, runner)
        assert Phone(send_sms, SIGNED).say("blum") == text("followup.thanks_not_yet"), "a slip of the thumb"
    enrollment = Enrollment.get(Enrollment.phone == SIGNED)
    assert (enrollment.answer_30, enrollment.answer_90) == ("help", "not_yet")


def test_not_yet_twice_opens_a_mentoring_task_at_the_90_day_follow_up(held, send_sms, drain, runner):
    with at(FOLLOWUP_30):
        settle(drain, runner)
        assert Phone(send_sms, SIGNED).say("2") == text("followup.thanks_not_yet")
    assert Task.select().count() == 0 and outbox(purpose="alert") == []
    with at(FOLLOWUP_90):
        settle(drain, runner)
        assert followups(90) == [SIGNED]
        assert Phone(send_sms, SIGNED).say("2") == text("followup.thanks_not_yet")
    [task] = Task.select()
    assert task.reason == "not_yet_twice"
    assert len(outbox(purpose="alert")) == 2
    enrollment = Enrollment.get(Enrollment.phone == SIGNED)
    assert (enrollment.answer_30, enrollment.answer_90) == ("not_yet", "not_yet")


def test_other_keywords_work_while_the_follow_up_waits_and_the_answer_still_counts(held, send_sms, drain, runner):
    with at(FOLLOWUP_30):
        settle(drain, runner)
        phone = Phone(send_sms, SIGNED)
        assert phone.say("STATUS") == text("case.status.none")
        assert phone.say("ya").startswith(text("error.choice")), "not an answer: the question again"
        assert phone.say("1") == text("followup.thanks")
    assert Enrollment.get(Enrollment.phone == SIGNED).answer_30 == "applied"


def test_the_follow_up_waits_for_quiet_hours_to_end_and_a_late_answer_still_counts(held, send_sms, drain, runner):
    with at(FOLLOWUP_30 + dt.timedelta(hours=13)):  # 22:00 local: the worker was down all day
        settle(drain, runner)
        [question] = outbox(SIGNED, "followup")
        assert question.status == "queued" and question.next_attempt_at == to_utc(dt.datetime(2027, 1, 10, 6, 0))
    with at(dt.datetime(2027, 1, 10, 6, 0, tzinfo=JAKARTA)):
        settle(drain, runner)
        assert outbox(SIGNED, "followup")[0].status == "sent"
    with at(dt.datetime(2027, 1, 16, 8, 0, tzinfo=JAKARTA)):
        assert Conversation.get(Conversation.phone == SIGNED).active_inputs() == []
        assert Phone(send_sms, SIGNED).say("1") == text("followup.thanks")


def test_follow_up_steps_are_done_once(held, drain, runner):
    with at(FOLLOWUP_30):
        settle(drain, runner)
        settle(drain, runner)
    assert followups(30) == [SIGNED]
    done = {s.kind: s.done_at is not None for s in TrainingStep.select()}
    assert done == {"reminder": True, "followup30": True, "followup90": False}
    assert reminders() == [], "a reminder whose training has started is dropped, not sent late"


def test_no_name_or_full_phone_number_in_the_logs_of_a_whole_training(held, send_sms, drain, runner, caplog):
    caplog.set_level(logging.INFO)
    with at(FOLLOWUP_30):
        settle(drain, runner)
        Phone(send_sms, SIGNED).say("3")
        Phone(send_sms, ORGANIZER).say(f"HADIR KOPI1 {WAITING} 081299990000")
        drain()
    logged = caplog.text
    assert "KOPI1" in logged, "the exchange was logged"
    for secret in ("Sri Lestari", SIGNED, WAITING, GONE, ORGANIZER, "081299990000", "+6281299990000"):
        assert secret not in logged, secret
