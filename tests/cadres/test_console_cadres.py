"""Cadre applications in the console (coordinators only): the waiting ones with approve and refuse forms (CSRF), the
same rules and the same SMS as SETUJU / TOLAK, the cadres with their mentors; 404 for anyone else."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import g

from models import Staff, database
from models.audit import AuditEvent
from models.cadre import CadreApplication
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.outbox import outbox
from tests.support.registration import register
from tests.support.staff import COORDINATOR, ORGANIZER
from tests.support.texts import text
from tests.support.villages import seed_villages

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
WATI, BUDI = "+6281234567801", "+6281234567802"


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def applications(case_staff):
    seed_villages()
    found = []
    for phone, name in ((WATI, "Wati Lestari"), (BUDI, "Budi Santoso")):
        register(phone, name=name, village="Tracap", status="purna")
        with database.atomic():
            application, _ = CadreApplication.submit(
                phone, name=name, village="Tracap", helps="visits", why="ingin membantu", source_key=f"t:{phone}"
            )
        found.append(application)
    return found


def signed_in(app, phone: str):
    give_password(phone)
    g.pop("csrf_token", None)  # one app context for several clients: each gets its own token
    client = app.test_client()
    assert sign_in(client, phone).status_code == 302
    return client


def test_a_coordinator_approves_and_refuses_in_the_console_with_the_sms_of_setuju_and_tolak(app, applications, drain):
    wati, budi = applications
    client = signed_in(app, COORDINATOR)
    page = client.get("/console/cadres").get_data(as_text=True)
    assert "Wati Lestari" in page and "Budi Santoso" in page and "ingin membantu" in page
    assert 'href="/console/cadres"' in page, "in the coordinator's menu"
    token = csrf_token(client, "/console/cadres")

    done = client.post(f"/console/cadres/{wati.id}/approve", data={"csrf_token": token})
    assert done.status_code == 303
    page = client.get("/console/cadres").get_data(as_text=True)
    assert text("cadre.approved", id=str(wati.id), name="Wati Lestari", mentor="Siti Pengurus") in page
    assert Staff.get(Staff.phone == WATI).role == "cadre"
    assert AuditEvent.get(AuditEvent.target == WATI).kind == "staff_added"
    client.post(f"/console/cadres/{budi.id}/refuse", data={"csrf_token": token})
    assert CadreApplication.get_by_id(budi.id).status == "refused"
    page = client.get("/console/cadres").get_data(as_text=True)
    assert 'data-section="cadres"' in page and "Siti Pengurus" in page, "the cadre with their mentor"
    assert f"application-{wati.id}" not in page, "decided: no longer waiting"
    drain()
    assert [m.text for m in outbox(WATI, "cadre_news")] == [
        text("cadre.sms.welcome", name="Wati Lestari", mentor="Siti Pengurus", phone=ORGANIZER)
    ]
    assert [m.text for m in outbox(BUDI, "cadre_news")] == [text("cadre.sms.refused", name="Budi Santoso")]
    assert [m.text for m in outbox(ORGANIZER, "cadre_news")] == [
        text("cadre.sms.mentee", name="Wati Lestari", village="Tracap", phone=WATI)
    ]


def test_the_page_is_404_for_an_organiser_and_a_form_without_csrf_changes_nothing(app, applications):
    wati, _ = applications
    organiser = signed_in(app, ORGANIZER)
    assert organiser.get("/console/cadres").status_code == 404
    assert 'href="/console/cadres"' not in organiser.get("/console").get_data(as_text=True)
    coordinator = signed_in(app, COORDINATOR)
    assert coordinator.post(f"/console/cadres/{wati.id}/approve", data={}).status_code == 400
    assert CadreApplication.get_by_id(wati.id).status == "pending"
    token = csrf_token(coordinator, "/console/cadres")
    assert coordinator.post(f"/console/cadres/{wati.id}/promote", data={"csrf_token": token}).status_code == 404
