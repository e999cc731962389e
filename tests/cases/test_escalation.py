"""Escalation: a case nobody takes in time is told again (organisers and coordinators, then officials), each
step once, on time by its RQ job or late by the sweep when Redis lost the job. Time moves with time-machine."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer

from menus import catalog
from menus.features.cases.jobs import escalate, escalation_job_id, escalation_spec
from menus.features.cases.notices import staff_params
from models import Case, CaseEvent, Message, Staff, database, utcnow
from models.case_referral import refer
from models.jobs import DEFAULT_QUEUE
from models.settings import SETTINGS
from tests.support.clock import stored
from tests.support.reports import ussd_report_to_safe
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from workers.queues import enqueue, job_is_live, queue

JAKARTA = ZoneInfo("Asia/Jakarta")
REPORTER = "+6281234567041"
LEVEL_1 = {ORGANIZER, ORGANIZER_OTHER, COORDINATOR}
WAGES, VIOLENCE = "wages", "violence"
"""Category numbers in the report menu: unpaid wages (normal), violence (urgent)."""

OPENED = dt.datetime(2026, 11, 28, 10, 0, tzinfo=JAKARTA)


@pytest.fixture
def staff(case_staff):
    """Who a case alerts (see conftest)."""


def report(ussd, category: str = WAGES) -> Case:
    """Report by USSD (for myself, Hong Kong, safe, consent, no story) and return the case."""
    session = ussd(REPORTER)
    ussd_report_to_safe(session, category=category)
    reply = session.answer("1", "1", "1")
    assert reply.startswith("END "), reply
    return Case.get()


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def received(fake_at, key: str) -> list[str]:
    """Phones the fake AT sent this escalation text to (one entry per SMS)."""
    level_text = catalog.raw_text(key, "id").split("{")[0]
    return sorted(
        phone
        for request in fake_at.requests
        if request.form["message"].startswith(level_text)
        for phone in request.form["to"].split(",")
    )


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def test_a_case_nobody_takes_escalates_at_the_deadline_then_to_officials_at_twice_it(
    app, staff, ussd, drain, runner, use_africastalking
):
    with at(OPENED):
        case = report(ussd)
        drain()
    deadline = OPENED + dt.timedelta(minutes=1440)
    assert case.ack_due_at == deadline.astimezone(dt.UTC).replace(tzinfo=None)
    alerts = len(use_africastalking.requests)

    with at(deadline - dt.timedelta(minutes=1)):
        settle(drain, runner)
    assert len(use_africastalking.requests) == alerts, "nothing before the deadline"

    with at(deadline):
        drain()
        assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1)
        assert received(use_africastalking, "case.escalation.2") == []
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1), "once"

    with at(deadline + dt.timedelta(minutes=1439)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.2") == []

    with at(deadline + dt.timedelta(minutes=1440)):
        drain()
        assert received(use_africastalking, "case.escalation.2") == [OFFICIAL]
    with at(deadline + dt.timedelta(days=3)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1)
    assert received(use_africastalking, "case.escalation.2") == [OFFICIAL]
    case = Case.get_by_id(case.id)
    assert (case.escalation_level, case.next_escalation_at, case.status) == (2, None, "new")
    assert [e.note for e in case.events.where(CaseEvent.kind == "escalated").order_by(CaseEvent.id)] == [
        "level 1",
        "level 2",
    ]


def test_the_escalation_says_what_staff_need_in_their_words(app, staff, ussd, drain):
    with at(OPENED):
        case = report(ussd)
    with at(OPENED + dt.timedelta(days=1)):
        drain()
    texts = {m.phone: m.text for m in Message.select().where(Message.purpose == "escalation")}
    organizer = Staff.get(Staff.phone == ORGANIZER)
    assert texts[ORGANIZER] == catalog.text("case.escalation.1", "id", staff_params(case, "id", organizer))
    assert f"TERIMA {case.display_code}" in texts[ORGANIZER]


def test_a_job_that_runs_twice_escalates_once(app, staff, ussd, drain, use_africastalking):
    with at(OPENED):
        case = report(ussd)
        drain()
    with at(OPENED + dt.timedelta(days=1)):
        drain()
        assert escalate(case.id, 1) == "skipped"
        enqueue([escalation_spec(case.id, 1)])
        drain()
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1)
    assert CaseEvent.select().where(CaseEvent.kind == "escalated").count() == 1


def test_an_early_job_waits_for_its_time(app, staff, ussd, drain):
    with at(OPENED):
        case = report(ussd)
        assert escalate(case.id, 1) == "not due"
        assert escalate(case.id, 2) == "not due"
    assert Case.get_by_id(case.id).escalation_level == 0


def test_urgent_cases_escalate_after_the_urgent_deadline(app, staff, ussd, drain, runner, use_africastalking):
    with at(OPENED):
        case = report(ussd, VIOLENCE)
        drain()
    assert case.severity == "urgent"
    assert set(received(use_africastalking, "case.alert")) == LEVEL_1, "urgent: everyone at once"
    assert set(received(use_africastalking, "case.alert_official")) == {OFFICIAL}
    with at(OPENED + dt.timedelta(minutes=119)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == []
    with at(OPENED + dt.timedelta(minutes=120)):
        drain()
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1)
    with at(OPENED + dt.timedelta(minutes=239)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.2") == []
    with at(OPENED + dt.timedelta(minutes=240)):
        drain()
    assert received(use_africastalking, "case.escalation.2") == [OFFICIAL]


def test_deadlines_follow_the_settings_in_fractions_of_minutes(
    app, staff, ussd, drain, runner, monkeypatch, use_africastalking
):
    monkeypatch.setattr(SETTINGS, "case_ack_minutes_urgent", 1.5)
    with at(OPENED):
        case = report(ussd, VIOLENCE)
        drain()
    with at(OPENED + dt.timedelta(seconds=89)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == []
    with at(OPENED + dt.timedelta(seconds=90)):
        drain()
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1)
    with at(OPENED + dt.timedelta(seconds=180)):
        drain()
    assert received(use_africastalking, "case.escalation.2") == [OFFICIAL]
    assert Case.get_by_id(case.id).escalation_level == 2


@pytest.mark.parametrize("step", ["acknowledge", "refer", "resolve"])
def test_a_taken_case_never_escalates(app, staff, ussd, drain, runner, use_africastalking, step):
    with at(OPENED):
        case = report(ussd)
        drain()
    with at(OPENED + dt.timedelta(hours=3)), database.atomic():
        organizer = Staff.get(Staff.phone == ORGANIZER)
        if step == "refer":
            refer(case, organizer, Staff.get(Staff.phone == OFFICIAL))
        else:
            getattr(case, step)(organizer)
    for later in (dt.timedelta(days=1), dt.timedelta(days=2), dt.timedelta(days=5)):
        with at(OPENED + later):
            settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == []
    assert received(use_africastalking, "case.escalation.2") == []
    assert Case.get_by_id(case.id).escalation_level == 0


def test_acknowledged_between_the_steps_stops_the_second(app, staff, ussd, drain, runner, use_africastalking):
    with at(OPENED):
        case = report(ussd)
    with at(OPENED + dt.timedelta(days=1)):
        drain()
    with at(OPENED + dt.timedelta(days=1, hours=1)), database.atomic():
        Case.get_by_id(case.id).acknowledge(Staff.get(Staff.phone == COORDINATOR))
    with at(OPENED + dt.timedelta(days=3)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1)
    assert received(use_africastalking, "case.escalation.2") == []


def test_a_job_redis_lost_is_fired_by_the_sweep_exactly_once(app, staff, ussd, drain, runner, use_africastalking):
    with at(OPENED):
        case = report(ussd)
        drain()
        assert job_is_live(escalation_job_id(case.id, 1))
    app.extensions["redis"].flushdb()
    deadline = OPENED + dt.timedelta(days=1)
    with at(deadline + dt.timedelta(minutes=1)):
        assert not drain(), "Redis lost the job"
        assert received(use_africastalking, "case.escalation.1") == []
        assert runner.invoke(args=["sweep"]).exit_code == 0
        drain()
        assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1)
        settle(drain, runner)
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1), "exactly once"
    app.extensions["redis"].flushdb()
    with at(deadline + dt.timedelta(days=1, minutes=1)):
        assert not drain()
        settle(drain, runner)
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.2") == [OFFICIAL]


def test_a_step_that_starts_a_moment_early_waits_it_out_and_runs_once(
    app, staff, ussd, drain, runner, use_africastalking
):
    """RQ schedules whole seconds: the step's job is scheduled at its deadline rounded up, and one that starts a
    moment early anyway (a worker's clock apart from the scheduler's) waits it out instead of doing nothing."""
    opened = OPENED + dt.timedelta(seconds=0.6)  # a deadline with a fraction of a second
    with at(opened):
        case = report(ussd)
        drain()
    deadline = opened + dt.timedelta(minutes=1440)
    registry = ScheduledJobRegistry(queue=queue(DEFAULT_QUEUE))
    scheduled = registry.get_scheduled_time(escalation_job_id(case.id, 1)).replace(tzinfo=None)
    assert scheduled == stored(deadline).replace(microsecond=0) + dt.timedelta(seconds=1), "never before it is due"
    with time_machine.travel(deadline - dt.timedelta(seconds=0.3), tick=True):
        assert escalate(case.id, 1) == "escalated"
        assert utcnow() >= Case.get_by_id(case.id).ack_due_at, "it waited until due"
    with at(deadline + dt.timedelta(minutes=1)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1), "once"
    assert [job_id for job_id in registry.get_job_ids()] == [escalation_job_id(case.id, 2)], "the next step only"


def test_a_step_started_well_before_its_time_does_nothing_and_the_sweep_fires_it_at_its_minute(
    app, staff, ussd, drain, runner, use_africastalking
):
    with at(OPENED):
        case = report(ussd)
        drain()
    deadline = OPENED + dt.timedelta(minutes=1440)
    registry = ScheduledJobRegistry(queue=queue(DEFAULT_QUEUE))
    with at(deadline - dt.timedelta(seconds=10)):
        # its job started 10 s early (a clock far apart), so Redis holds it no more ...
        Job.fetch(escalation_job_id(case.id, 1), connection=app.extensions["redis"], serializer=JSONSerializer).delete()
        assert escalate(case.id, 1) == "not due"  # ... and did nothing, scheduling nothing
        assert registry.get_job_ids() == []
    with at(deadline + dt.timedelta(seconds=30)):
        settle(drain, runner)
    assert received(use_africastalking, "case.escalation.1") == sorted(LEVEL_1), "fired within its minute, once"
    assert Case.get_by_id(case.id).escalation_level == 1
