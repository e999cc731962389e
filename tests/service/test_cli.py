"""The CLI as a deployer uses it: migrations, staff, demo data, exports to stdout, menus check."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
import time_machine
from phonenumbers import carrier

from menus.features.trainings.jobs import step_job_id
from models import Staff, Training, TrainingStep, Village
from models.migrate import SchemaMigration, migration_names
from models.settings import to_local
from service.cli import DEMO_STAFF
from tests.support.villages import seed_villages
from workers.queues import job_is_live

PEOPLE_FIELDS = [
    "phone",
    "name",
    "village",
    "status",
    "country",
    "language",
    "consent_at",
    "opted_out_at",
    "created_at",
]
MESSAGE_FIELDS = [
    "id",
    "phone",
    "direction",
    "purpose",
    "status",
    "provider_id",
    "segments",
    "encoding",
    "attempts",
    "last_error",
    "created_at",
]


def test_db_upgrade_is_idempotent(runner):
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert [m.name for m in SchemaMigration.select().order_by(SchemaMigration.name)] == migration_names()


@pytest.fixture
def villages(app):
    seed_villages("Tracap", "Lamuk")


def test_staff_add_spells_a_village_as_the_list_does_and_refuses_an_unknown_one(runner, villages):
    args = ["staff", "add", "--phone", "081299990000", "--name", "Pak Kades", "--role", "official"]
    assert runner.invoke(args=[*args, "--village", " tracap "]).exit_code == 0
    assert Staff.get(Staff.phone == "+6281299990000").village == "Tracap", "a village head's digest counts Tracap"
    result = runner.invoke(args=[*args, "--village", "Tracapp"])
    assert result.exit_code != 0 and "'Tracapp' is not a configured village; villages: Tracap, Lamuk" in result.output
    assert Staff.get(Staff.phone == "+6281299990000").village == "Tracap"


@pytest.mark.parametrize("phone", ["081299990000", "6281299990000", "+6281299990000"])
def test_staff_add_normalises_the_phone(runner, phone, villages):
    result = runner.invoke(
        args=["staff", "add", "--phone", phone, "--name", "Siti", "--role", "organizer", "--village", "Tracap"]
    )
    assert result.exit_code == 0, result.output
    staff = Staff.get(Staff.phone == "+6281299990000")
    assert (staff.name, staff.role, staff.village) == ("Siti", "organizer", "Tracap")


def test_staff_add_sets_the_language_staff_get_sms_in(runner):
    args = ["staff", "add", "--phone", "081299990000", "--name", "Siti", "--role", "official"]
    assert runner.invoke(args=[*args, "--language", "jv"]).exit_code == 0
    assert runner.invoke(args=args).exit_code == 0, "updating without --language keeps it"
    assert Staff.get(Staff.phone == "+6281299990000").language == "jv"


@pytest.mark.parametrize(
    "args,complaint",
    [
        (["--phone", "MPESA", "--name", "Siti", "--role", "organizer"], "--phone"),
        (["--phone", "081299990000", "--name", "Siti", "--role", "boss"], "--role"),
        (["--phone", "081299990000", "--name", " ", "--role", "official"], "--name"),
        (["--phone", "081299990000", "--name", "Siti", "--role", "official", "--language", "fr"], "--language"),
    ],
)
def test_staff_add_rejects_bad_input(runner, args, complaint):
    result = runner.invoke(args=["staff", "add", *args])
    assert result.exit_code != 0 and complaint in result.output
    assert Staff.select().count() == 0


SEED_DAY = dt.datetime(2026, 12, 1, 6, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
"""Early morning in Wonosobo: still 30 November in UTC, so the seed must count days from the local date."""


def test_demo_seed_fills_once(runner):
    with time_machine.travel(SEED_DAY, tick=False):
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
        counts = (
            Village.select().count(),
            Staff.select().count(),
            Training.select().count(),
            TrainingStep.select().count(),
        )
        assert counts[0] >= 5 and counts[1] == 3 and counts[2:] == (2, 6)
        assert {s.role for s in Staff.select()} == {"organizer", "coordinator", "official"}
        trainings = [
            (t.code, t.title, t.kind, to_local(t.starts_at).replace(tzinfo=None), t.place, t.capacity, t.status)
            for t in Training.select().order_by(Training.starts_at)
        ]
        assert trainings == [
            ("KOPI1", "Budidaya kopi", "economic", dt.datetime(2026, 12, 8, 8, 0), "Balai Desa Tracap", 20, "planned"),
            ("AMAN1", "Migrasi aman", "education", dt.datetime(2026, 12, 9, 8, 0), "Balai Desa Tracap", 20, "planned"),
        ]
        steps = list(TrainingStep.select())
        assert all(job_is_live(step_job_id(step)) for step in steps), "the reminder and follow-ups are scheduled"

        runner.invoke(args=["demo", "seed"])
        assert (
            Village.select().count(),
            Staff.select().count(),
            Training.select().count(),
            TrainingStep.select().count(),
        ) == counts


def test_demo_seed_keeps_a_demo_training_an_organiser_changed(runner):
    with time_machine.travel(SEED_DAY, tick=False):
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
        assert runner.invoke(args=["training", "cancel", "--code", "KOPI1"]).exit_code == 0
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert [(t.code, t.status) for t in Training.select().order_by(Training.code)] == [
        ("AMAN1", "planned"),
        ("KOPI1", "cancelled"),
    ]


def test_export_people_json_and_csv(runner, ussd, send_sms):
    runner.invoke(args=["demo", "seed"])
    session = ussd("+6281234567004")
    session.dial()
    session.answer("1", "1", "Siti Aminah", "1", "3", "1")
    result = runner.invoke(args=["export", "people"])
    assert result.exit_code == 0
    [person] = json.loads(result.stdout)
    assert list(person) == PEOPLE_FIELDS
    assert (person["phone"], person["status"], person["country"]) == ("+6281234567004", "purna", "hongkong")

    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["export", "people", "--format", "csv"]).stdout)))
    assert [r["name"] for r in rows] == ["Siti Aminah"] and list(rows[0]) == PEOPLE_FIELDS


def test_export_messages_has_the_documented_fields(runner, send_sms):
    send_sms("+6281234567005", "BANTUAN")
    result = runner.invoke(args=["export", "messages"])
    records = json.loads(result.stdout)
    assert [r["direction"] for r in records] == ["in", "out"]
    assert all(list(r) == MESSAGE_FIELDS for r in records)
    assert {r["status"] for r in records} <= {"queued", "sending", "sent", "delivered", "failed", "rejected"}


def test_export_rejects_unknown_kind(runner):
    result = runner.invoke(args=["export", "secrets"])
    assert result.exit_code != 0 and "people" in result.output


def test_menus_check_passes(runner):
    result = runner.invoke(args=["menus", "check"])
    assert result.exit_code == 0, result.output
    assert "0 problems" in result.output


@pytest.mark.parametrize("backend", ["smsgate", "africastalking"])
def test_demo_seed_is_refused_where_sms_are_real(app, runner, backend):
    app.config["SMS_BACKEND"] = backend
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "SMS_BACKEND=outbox" in result.output
    assert Staff.select().count() == 0 and Village.select().count() == 0


def test_demo_staff_numbers_belong_to_no_operator():
    for phone, *_ in DEMO_STAFF:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number(number), "the simulator can use them"
        assert carrier.name_for_number(number, "en") == "", f"{phone} could be someone's SIM"
