"""A follow-up does not wipe a conversation in progress (issue 16): the question is a conversation of its own, so
for someone mid-report it waits, and comes once the report is done; the others are asked on time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus.features.trainings.jobs import FOLLOWUP_BUSY_RETRY, training_specs
from models import Case, Conversation, Enrollment, Message, Training, TrainingStep, database
from models.jobs import enqueue_after_commit
from models.settings import to_utc
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import ORGANIZER
from tests.support.texts import text

JAKARTA = ZoneInfo("Asia/Jakarta")
ADDED = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
STARTS = dt.datetime(2026, 12, 10, 8, 0)
FOLLOWUP_30 = dt.datetime(2027, 1, 9, 9, 0, tzinfo=JAKARTA)
"""The 30-day follow-up of a training that started 10 December 08:00."""
REPORTING, FREE = "+6281234567301", "+6281234567302"


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def questions(phone: str) -> list[Message]:
    return outbox(phone, "followup")


@pytest.fixture
def held(app, send_sms, case_staff):
    """KOPI2 held on 10 December; both REPORTING and FREE attended."""
    with at(ADDED):
        with database.atomic():
            added = Training.add("KOPI2", "Budidaya kopi", "economic", to_utc(STARTS), "Balai Desa Tracap", 5)
        enqueue_after_commit(training_specs(added))
        for phone in (REPORTING, FREE):
            register(phone)
            Phone(send_sms, phone).say("LATIH KOPI2")
    with at(dt.datetime(2026, 12, 10, 12, 0, tzinfo=JAKARTA)):
        Phone(send_sms, ORGANIZER).say(f"HADIR KOPI2 {REPORTING} {FREE}")
    return Training.get_by_id(added.id)


def test_a_report_in_progress_at_the_follow_up_keeps_its_answers_and_the_question_comes_after_once(
    held, send_sms, drain, runner
):
    reporter = Phone(send_sms, REPORTING)
    with at(FOLLOWUP_30 - dt.timedelta(minutes=2)):
        assert reporter.say("LAPOR") == text("report.sms.safe")
        assert reporter.say("1").startswith(text("report.for_whom"))
    with at(FOLLOWUP_30):
        settle(drain, runner)
        assert questions(REPORTING) == [], "no question while the report is open"
        assert [m.status for m in questions(FREE)] == ["sent"], "the others are asked on time"
        assert Conversation.get(Conversation.phone == REPORTING).active_inputs() == ["1"], "the report is intact"
    with at(FOLLOWUP_30 + dt.timedelta(minutes=3)):
        assert reporter.say("1").startswith(text("report.category")), "the next answer goes to the report"
        assert reporter.say("4").startswith(text("report.country"))
        assert reporter.say("1").startswith(text("report.sms.consent_story"))
        end = reporter.say("1 gaji belum dibayar 3 bulan")
        [case] = Case.select()
        assert end == text("report.sms.end", case_code=case.display_code)
        assert (case.for_whom, case.category, case.country) == ("self", "wages", "hongkong")
        assert (case.safe_to_contact, case.story) == (True, "gaji belum dibayar 3 bulan")
        settle(drain, runner)
        assert questions(REPORTING) == [], "the step looks again a little later, not at every message"
    with at(FOLLOWUP_30 + FOLLOWUP_BUSY_RETRY):
        settle(drain, runner)
        [question] = questions(REPORTING)
        assert question.text == text(
            "training.sms.followup30", code="KOPI2", title="Budidaya kopi", date=held.starts_label, place=held.place
        )
        assert question.status == "sent" and question.id > outbox(REPORTING, "reply")[-1].id, "after the report's end"
        assert reporter.say("1") == text("followup.thanks")
    with at(FOLLOWUP_30 + 4 * FOLLOWUP_BUSY_RETRY):
        settle(drain, runner)
    assert len(questions(REPORTING)) == 1 and len(questions(FREE)) == 1, "each asked once"
    assert Enrollment.get(Enrollment.phone == REPORTING).answer_30 == "applied"
    assert TrainingStep.get(TrainingStep.kind == "followup30").done_at is not None


def test_a_waiting_follow_up_whose_job_redis_lost_is_asked_by_the_sweep_and_not_in_quiet_hours(
    held, app, send_sms, drain, runner
):
    late = dt.datetime(2027, 1, 9, 20, 50, tzinfo=JAKARTA)  # the worker was down all day: the step runs at 20:50
    reporter = Phone(send_sms, REPORTING)
    with at(late - dt.timedelta(minutes=1)):
        reporter.say("LAPOR")
    with at(late):
        settle(drain, runner)
        assert questions(REPORTING) == [] and len(questions(FREE)) == 1
        step = TrainingStep.get(TrainingStep.kind == "followup30")
        assert step.due_at == to_utc(dt.datetime(2027, 1, 10, 6, 0)), "the next look is after quiet hours"
        reporter.say("2")  # not safe: the report ends at once
    app.extensions["redis"].flushdb()  # Redis restarted empty overnight: the sweep fires the due row
    with at(dt.datetime(2027, 1, 10, 6, 0, tzinfo=JAKARTA)):
        settle(drain, runner)
        assert len(questions(REPORTING)) == 1 and len(questions(FREE)) == 1
