"""Setting up a real organisation (issue 17): villages and staff from the CLI on a fresh database, a report that
reaches its organiser, taking staff off with and without handing their cases over, a service without an organiser
saying so, no digest for a period before the deployment existed, and `db upgrade` refusing a newer database."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Case, CaseEvent, DigestDelivery, Person, Staff, Village, database
from models.case_terms import Report
from models.migrate import SchemaMigration
from service import create_app
from service.cli import DEMO_STAFF
from tests.support.deployment import backdate_deployment
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.texts import text

JAKARTA = ZoneInfo("Asia/Jakarta")
ORGANISER, COORDINATOR, OFFICIAL = "+6281311110001", "+6281311110002", "+6281311110003"
REPORTER = "+6281311119999"


def cli(runner, *args: str):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def add_staff(runner) -> None:
    """An organiser for Tracap, a coordinator and a BP3MI official, as a new organisation adds them."""
    cli(
        runner,
        "staff",
        "add",
        "--phone",
        "081311110001",
        "--name",
        "Siti",
        "--role",
        "organizer",
        "--village",
        "tracap",
    )
    cli(runner, "staff", "add", "--phone", "081311110002", "--name", "Rina", "--role", "coordinator")
    cli(
        runner,
        "staff",
        "add",
        "--phone",
        "081311110003",
        "--name",
        "Pak Budi",
        "--role",
        "official",
        "--agency",
        "bp3mi",
    )


def take(case: Case, phone: str) -> None:
    with database.atomic():
        case.acknowledge(Staff.get(Staff.phone == phone))


def open_case(key: str) -> Case:
    report = Report(
        reporter_phone=REPORTER,
        for_whom="self",
        category="wages",
        country="hongkong",
        safe_to_contact=True,
        safe_phone=None,
        story="gaji belum dibayar",
        consent_to_refer=True,
        channel="sms",
        source_key=key,
    )
    with database.atomic():
        return Case.open(report)[0]


# Villages ---------------------------------------------------------------------------------------------------


def test_village_add_is_idempotent_keeps_the_order_and_folds_to_gsm7(runner):
    result = cli(runner, "village", "add", "Tracap", " Kaliwiro ", "Désa “Baru”")
    assert "added Tracap" in result.output
    again = cli(runner, "village", "add", "tracap", "Lamuk")
    assert "already there: Tracap" in again.output and "added Lamuk" in again.output
    assert Village.names() == ["Tracap", "Kaliwiro", 'Désa "Baru"', "Lamuk"], "curly quotes folded, é is GSM-7"
    listed = cli(runner, "village", "list").output
    assert listed.splitlines()[:2] == ["1. Tracap (0 registered)", "2. Kaliwiro (0 registered)"]


@pytest.mark.parametrize(
    "name, says",
    [("", "empty once folded"), ("🙂", "empty once folded"), ("x" * 31, "longer than 30"), ("123", "not a village")],
)
def test_village_add_refuses_a_name_a_basic_phone_cannot_show_and_adds_nothing(runner, name, says):
    result = runner.invoke(args=["village", "add", "Tracap", name])
    assert result.exit_code != 0 and says in result.output
    assert Village.names() == [], "every name is checked before any is added"


def test_staff_add_on_an_empty_village_list_says_how_to_add_one(runner):
    args = ["staff", "add", "--phone", "081311110001", "--name", "Siti", "--role", "organizer", "--village", "Tracap"]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "none yet (add them with `village add`)" in result.output


# A new organisation, end to end -------------------------------------------------------------------------------


def test_from_a_fresh_database_a_report_by_sms_reaches_the_organiser(app, runner, send_sms, drain, use_africastalking):
    cli(runner, "db", "upgrade")
    cli(runner, "village", "add", "Tracap", "Lamuk")
    add_staff(runner)
    official = Staff.get(Staff.phone == OFFICIAL)
    assert (official.role, official.agency, official.village) == ("official", "bp3mi", None)

    reporter = Phone(send_sms, REPORTER)
    assert reporter.say("LAPOR") == text("report.sms.safe")
    reporter.say("2")
    drain()

    [case] = Case.select()
    delivered = {p: r.form["message"] for r in use_africastalking.requests for p in r.form["to"].split(",")}
    assert case.display_code in delivered[ORGANISER], "the alert reached the organiser's phone"
    assert COORDINATOR in delivered
    assert not Staff.select().where(Staff.phone.in_([phone for phone, *_ in DEMO_STAFF])).exists()
    assert not Staff.select().where(Staff.name.contains("Bambang")).exists(), "no demo person exists"
    assert Person.select().where(Person.phone.startswith("+62830")).count() == 0


# Staff list and remove ----------------------------------------------------------------------------------------


def test_staff_list_masks_numbers_unless_full(runner):
    cli(runner, "village", "add", "Tracap")
    add_staff(runner)
    masked = cli(runner, "staff", "list").output
    assert ORGANISER not in masked and "+62********001" in masked
    lines = masked.splitlines()
    assert lines[0].split() == ["phone", "name", "role", "village", "agency", "language", "active"]
    assert lines[1].split() == ["+62********001", "Siti", "organizer", "Tracap", "-", "-", "yes"]
    assert "bp3mi" in lines[3]
    full = cli(runner, "staff", "list", "--full").output
    assert ORGANISER in full and OFFICIAL in full


def test_staff_remove_refuses_while_they_hold_open_cases(runner, send_sms):
    cli(runner, "village", "add", "Tracap")
    add_staff(runner)
    case = open_case("held")
    take(case, ORGANISER)
    result = runner.invoke(args=["staff", "remove", "--phone", "081311110001"])
    assert result.exit_code != 0
    assert case.display_code in result.output and "--handover" in result.output
    assert Staff.get(Staff.phone == ORGANISER).active, "nothing changed"
    assert Case.get_by_id(case.id).assignee == ORGANISER


def test_staff_remove_with_handover_gives_the_cases_to_the_first_coordinator_and_tells_them(
    runner, send_sms, drain, use_africastalking
):
    cli(runner, "village", "add", "Tracap")
    add_staff(runner)
    cli(runner, "staff", "add", "--phone", "081311110004", "--name", "Agus", "--role", "coordinator")
    cases = [open_case("first"), open_case("second")]
    for case in cases:
        take(case, ORGANISER)
    result = cli(runner, "staff", "remove", "--phone", "081311110001", "--handover")
    assert "2 open case(s) handed to Agus" in result.output, "the first active coordinator by name"

    holder = "+6281311110004"
    for case in cases:
        case = Case.get_by_id(case.id)
        assert case.assignee == holder and case.status == "acknowledged"
        event = case.events.order_by(CaseEvent.id.desc()).get()
        assert (event.kind, event.actor, event.channel, event.note) == ("handover", ORGANISER, "cli", holder)
    [told] = outbox(holder, "alert")
    assert all(case.display_code in told.text for case in cases) and "Siti" in told.text
    drain()
    assert any(holder in r.form["to"] for r in use_africastalking.requests)

    removed = Staff.get(Staff.phone == ORGANISER)
    assert not removed.active, "deactivated, not deleted: the history keeps its name"
    assert CaseEvent.select().where(CaseEvent.actor == ORGANISER).count() >= 4
    Phone(send_sms, ORGANISER).say(f"TERIMA {cases[0].display_code}")
    assert Case.get_by_id(cases[0].id).assignee == holder, "a removed number's commands are not read"
    cli(runner, "staff", "remove", "--phone", ORGANISER)  # again: nothing to do, no error


def test_staff_remove_without_open_cases_needs_no_handover_and_no_alert_reaches_them(runner, send_sms):
    cli(runner, "village", "add", "Tracap")
    add_staff(runner)
    cli(runner, "staff", "add", "--phone", "081311110005", "--name", "Ani", "--role", "organizer")
    result = cli(runner, "staff", "remove", "--phone", "+6281311110001")
    assert "removed" in result.output
    Phone(send_sms, REPORTER).say("LAPOR")
    Phone(send_sms, REPORTER).say("2")
    assert outbox(ORGANISER, "alert") == [] and outbox("+6281311110005", "alert") != []


def test_staff_remove_with_handover_and_no_other_coordinator_is_refused(runner):
    cli(runner, "village", "add", "Tracap")
    add_staff(runner)
    take(open_case("held"), COORDINATOR)
    result = runner.invoke(args=["staff", "remove", "--phone", COORDINATOR, "--handover"])
    assert result.exit_code != 0 and "no other active coordinator" in result.output
    assert Staff.get(Staff.phone == COORDINATOR).active


def test_staff_remove_of_an_unknown_number_says_so(runner):
    result = runner.invoke(args=["staff", "remove", "--phone", "081311118888"])
    assert result.exit_code != 0 and "no staff member has the number" in result.output


# Without an organiser or a coordinator ---------------------------------------------------------------------


def test_healthz_is_degraded_without_an_organiser_and_stays_200(client, runner):
    cli(runner, "staff", "add", "--phone", "081311110002", "--name", "Rina", "--role", "coordinator")
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded" and body["degraded"] == ["staff"]
    assert "no active organiser" in body["staff"]["reason"] and "coordinator" not in body["staff"]["reason"]
    cli(runner, "staff", "add", "--phone", "081311110001", "--name", "Siti", "--role", "organizer")
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["staff"] == {"state": "ok", "reason": None}


def test_menus_check_warns_without_staff_and_still_passes(runner):
    result = runner.invoke(args=["menus", "check"])
    assert result.exit_code == 0, result.output
    assert "warning: no active organiser" in result.output and "warning: no active coordinator" in result.output


def test_the_service_says_so_at_start(base_config, app, caplog):
    caplog.set_level(logging.WARNING, logger="service.health")
    create_app({**base_config, "TESTING": False})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no active organiser" in w for w in warnings) and any("no active coordinator" in w for w in warnings)


# Digests of a new deployment ---------------------------------------------------------------------------------


def test_no_digest_for_a_period_that_ended_before_the_deployment_existed(runner, drain):
    born = dt.datetime(2026, 12, 2, 9, 0, tzinfo=JAKARTA)  # a first start on the 2nd of a month
    try:
        backdate_deployment(born.astimezone(dt.UTC).replace(tzinfo=None))
        with time_machine.travel(born, tick=False):
            cli(runner, "village", "add", "Tracap")
            add_staff(runner)
            month = cli(runner, "digest", "send", "--period", "month")
            week = cli(runner, "digest", "send")
            cli(runner, "sweep")
        with time_machine.travel(dt.datetime(2026, 12, 3, 8, 0, tzinfo=JAKARTA), tick=False):
            cli(runner, "sweep")  # within the make-up window of November's digest: still nothing
            drain()
        assert "0 digests" in month.output and "0 digests" in week.output
        assert outbox(purpose="digest") == [] and DigestDelivery.select().count() == 0
        with time_machine.travel(dt.datetime(2026, 12, 7, 7, 0, tzinfo=JAKARTA), tick=False):
            cli(runner, "digest", "send")  # the week of 30/11-6/12 the deployment was part of
        assert {m.phone for m in outbox(purpose="digest")} == {COORDINATOR, OFFICIAL}
    finally:
        backdate_deployment()


# Upgrades --------------------------------------------------------------------------------------------------


def test_db_upgrade_refuses_a_database_newer_than_the_code(runner):
    SchemaMigration.create(name="0999_from_a_newer_release")
    try:
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code != 0
        assert "0999_from_a_newer_release" in result.output and "the code is older than the database" in result.output
    finally:
        SchemaMigration.delete().where(SchemaMigration.name == "0999_from_a_newer_release").execute()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
