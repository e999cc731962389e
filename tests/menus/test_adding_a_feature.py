"""Adding a feature touches only its own folder, its catalog texts and its table: the sample feature in
`tests/sample_feature` (a keyword, screens, a staff command, a purpose, a model, a job, a sweep) registers itself
through FEATURE_MODULES and works end to end: SMS in, a job run by a real worker at its time, SMS out."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from menus.check import check
from menus.features import default_registry
from models import Staff, database
from service import create_app
from tests.sample_feature import FEATURE
from tests.sample_feature.reminder import Reminder
from tests.support.outbox import outbox
from tests.support.phones import Phone
from workers.queues import allowed_jobs
from workers.sweep import sweep

NOON_WIB = dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC)
"""A Wednesday at 12:00 in Jakarta: no quiet hours in the way."""

WORKER, STAFF = "+6281311110001", "+6281311110002"


@pytest.fixture
def app(app, base_config):
    """The service with the sample feature named in FEATURE_MODULES, and its table (what its migration would make)."""
    sample = create_app({**base_config, "FEATURE_MODULES": ("tests.sample_feature",)})
    with sample.app_context():
        database.create_tables([Reminder])
        try:
            yield sample
        finally:
            database.drop_tables([Reminder])


def test_the_feature_is_registered_by_naming_it_and_nowhere_else(app):
    registry = app.extensions["menus"]
    assert registry.keywords["INGATKAN"] is FEATURE.keywords[0]
    assert "INGATAN" in registry.staff_commands and Reminder in registry.tables()
    assert "tests.sample_feature.jobs.send_reminder" in allowed_jobs()
    assert "sample reminders" in [sweep.name for sweep in registry.sweeps]
    assert "INGATKAN" not in default_registry().keywords, "the service alone does not know it"
    report = check(registry)
    assert report.ok, report.problems


def test_keyword_in_job_at_its_time_sms_out(app, send_sms, drain):
    worker = Phone(send_sms, WORKER)
    with time_machine.travel(NOON_WIB, tick=False) as clock:
        assert worker.say("INGATKAN minum obat") == "Berapa menit lagi? (1-1440)\n0. Kembali"
        assert worker.say("sebentar") == "Tulis angka menit, 1 sampai 1440.\n0. Kembali"
        assert worker.say("5") == "Baik, Anda akan diingatkan."
        drain()
        assert outbox(WORKER, "sample_reminder") == [], "not before its time"

        clock.shift(dt.timedelta(minutes=5))
        drain()

    [reminder] = outbox(WORKER, "sample_reminder")
    assert (reminder.text, reminder.status) == ("Pengingat: minum obat", "sent")
    assert Reminder.get().sent_at == NOON_WIB.replace(tzinfo=None) + dt.timedelta(minutes=5)


def test_a_reminder_whose_job_redis_lost_is_fired_by_the_sweep(app, send_sms, drain):
    worker = Phone(send_sms, WORKER)
    with time_machine.travel(NOON_WIB, tick=False) as clock:
        worker.say("INGATKAN")
        worker.say("telepon ibu")
        worker.say("10")
        app.extensions["redis"].flushdb()  # a Redis restart loses the scheduled job
        clock.shift(dt.timedelta(minutes=10))
        drain()
        assert outbox(WORKER, "sample_reminder") == []

        assert sweep()["sample reminders"] == 1
        drain()

    assert [m.text for m in outbox(WORKER, "sample_reminder")] == ["Pengingat: telepon ibu"]


def test_its_staff_command_answers_staff_and_is_not_for_anyone_else(app, send_sms):
    Staff.create(phone=STAFF, name="Siti Pengurus", role="organizer", village="Tracap")
    Reminder.create(phone=WORKER, what="minum obat", due_at=NOON_WIB.replace(tzinfo=None))

    assert Phone(send_sms, STAFF).say("ingatan 1") == "Pengingat menunggu: 1"
    stranger = Phone(send_sms, WORKER).say("INGATAN 1")
    assert stranger is not None and "Pengingat" not in stranger, "a stranger learns nothing of the reminders"
