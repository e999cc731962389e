"""Succession in figures: the coordinators' digest counts the cadres of the week (new, active, cases and visits
handled, hours to a first action) and `export digest` carries the same numbers; a village head's record counts their
village's cadres. Played by SMS over a week with time moved; the digest is sent by the CLI on Monday morning."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import time_machine

from models import Case, Staff, database
from models.cadre import CadreApplication
from models.returnee import Returnee
from tests.support.console import give_password, sign_in
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import COORDINATOR, ORGANIZER
from tests.support.texts import text
from tests.support.villages import seed_villages

JAKARTA = ZoneInfo("Asia/Jakarta")
TUESDAY = dt.datetime(2026, 11, 17, 10, 0, tzinfo=JAKARTA)
"""In the week of 16-22 November, whose digest goes on Monday 23 November at 07:00."""
MONDAY = dt.datetime(2026, 11, 23, 7, 0, tzinfo=JAKARTA)

WATI, BUDI, RINA, REPORTER, HEAD = (
    "+6281234567701",
    "+6281234567702",
    "+6281234567703",
    "+6281234567704",
    "+6281234567705",
)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def approved(phone: str, name: str, village: str, coordinator: Phone) -> None:
    register(phone, name=name, village=village, status="purna")
    with database.atomic():
        application, _ = CadreApplication.submit(
            phone, name=name, village=village, helps="all", why="ingin membantu", source_key=f"test:{phone}"
        )
    coordinator.say(f"SETUJU {application.id}")


def test_the_coordinators_digest_counts_the_cadres_as_export_digest_does(app, send_sms, case_staff, runner, drain):
    seed_villages()
    Staff.create(phone=HEAD, name="Pak Kades", role="official", village="Tracap")
    coordinator, organiser = Phone(send_sms, COORDINATOR), Phone(send_sms, ORGANIZER)
    with at(TUESDAY):
        approved(WATI, "Wati Lestari", "Tracap", coordinator)
        approved(BUDI, "Budi Santoso", "Kaliwiro", coordinator)
        register(RINA, name="Rina Purnama", village="Tracap", status="aktif", country="taiwan")
        with database.atomic():
            Returnee.note_status(RINA, "aktif", "purna")
    visit = Returnee.get(Returnee.phone == RINA).visit_task
    with at(TUESDAY + dt.timedelta(days=1)):  # Wati's first action: 24 hours after approval
        Phone(send_sms, WATI).say(f"KUNJUNG {visit}")
    with at(TUESDAY + dt.timedelta(days=2)):
        Phone(send_sms, WATI).say(f"CATAT KUNJUNG {visit} sehat, sudah bertani 1")
        organiser.say(f"PROMOSI {BUDI}")  # not Budi's mentor (none in Kaliwiro): refused
        coordinator.say(f"PROMOSI {BUDI}")
        reporter = Phone(send_sms, REPORTER)
        for answer in ("LAPOR", "1", "1", "4", "1", "1 gaji belum dibayar"):
            reporter.say(answer)
    with at(TUESDAY + dt.timedelta(days=3)):  # Budi's first action: 72 hours after approval
        case = Case.get(Case.reporter_phone == REPORTER)
        Phone(send_sms, BUDI).say(f"TERIMA {case.code}")
        Phone(send_sms, BUDI).say(f"CATAT {case.code} sudah ditelepon")

    with at(MONDAY):
        exported = runner.invoke(args=["export", "digest", "--period", "week"])
        assert exported.exit_code == 0, exported.output
        records = {r["scope"]: r for r in json.loads(exported.stdout)}
        assert runner.invoke(args=["digest", "send"]).exit_code == 0
    cadres = ("cadres_new", "cadres_active", "cadre_cases", "cadre_visits", "cadre_first_action_hours")
    assert {k: records["all"][k] for k in cadres} == {
        "cadres_new": 2,
        "cadres_active": 1,
        "cadre_cases": 1,
        "cadre_visits": 1,
        "cadre_first_action_hours": 48,  # the median of 24 and 72
    }
    assert {k: records["Tracap"][k] for k in cadres} == {
        "cadres_new": 1,
        "cadres_active": 1,
        "cadre_cases": 0,
        "cadre_visits": 1,
        "cadre_first_action_hours": 24,
    }
    all_area = records["all"]
    line = text(
        "digest.cadres",
        new=str(all_area["cadres_new"]),
        active=str(all_area["cadres_active"]),
        cases=str(all_area["cadre_cases"]),
        visits=str(all_area["cadre_visits"]),
        hours=str(all_area["cadre_first_action_hours"]),
    )
    [digest] = [m.text for m in outbox(COORDINATOR, "digest")]
    assert line in digest, "the coordinators' digest says what the export says"
    [head] = [m.text for m in outbox(HEAD, "digest")]
    assert text("digest.cadres")[:6] not in head, "the cadre line is the coordinators'"

    with at(MONDAY):
        give_password(COORDINATOR)
        client = app.test_client()
        assert sign_in(client, COORDINATOR).status_code == 302
        page = client.get("/console/figures?period=last_week").get_data(as_text=True)
    shown = dict(re.findall(r'data-figure="(cadre\w+)">(\d+|-)<', page))
    assert shown == {k: str(records["all"][k]) for k in cadres}, "the figures page says what the export says"
    table = re.search(r'data-section="cadres">(.*?)</table>', page, re.S)
    assert table, "the cadres' section"
    rows = [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]
    assert ["Tracap", "1", "1", "0", "1", "24 jam"] in rows and ["Kaliwiro", "1", "0", "1", "0", "3 hari"] in rows
