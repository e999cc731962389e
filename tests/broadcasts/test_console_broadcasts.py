"""The console's broadcast pages, as a coordinator's browser uses them without JavaScript: compose, preview,
confirm, follow the progress (the JSON the page's script reads too), pause, resume, cancel; nobody else sees them."""

from __future__ import annotations

import re

import pytest

from models.audit import AuditEvent
from models.broadcast import Broadcast
from tests.support.broadcasts import ID_TEXT, JV_TEXT, WIWIT, many_people, village_people
from tests.support.clock import frozen_at
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.outbox import outbox
from tests.support.staff import COORDINATOR, ORGANIZER, add_case_staff


@pytest.fixture(autouse=True)
def morning():
    with frozen_at():
        yield


@pytest.fixture
def coordinator(client):
    add_case_staff()
    give_password(COORDINATOR)
    assert sign_in(client, COORDINATOR).status_code == 302
    return client


def compose(client, **fields):
    return {"csrf_token": csrf_token(client, "/console/broadcasts"), "text_id": ID_TEXT, **fields}


def test_compose_preview_confirm_and_follow(app, coordinator, drain):
    village_people()
    client = coordinator
    page = client.get("/console/broadcasts")
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("no-store")
    form = compose(client, text_jv=JV_TEXT, village="Tracap")
    shown = client.post("/console/broadcasts/preview", data=form)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert '<dd id="recipients">3</dd>' in html
    for reason in ("opted_out", "unsafe", "staff", "abroad"):
        assert f'<span data-left-out="{reason}">1</span>' in html
    assert ID_TEXT in html and JV_TEXT in html
    assert '<dd id="cost">Rp 450</dd>' in html
    assert "2026-11-30 10:00" in html
    assert outbox() == [] and Broadcast.select().count() == 0  # a preview sends nothing

    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    sent = client.post("/console/broadcasts/send", data=hidden)
    assert sent.status_code == 303
    broadcast = Broadcast.get()
    assert sent.headers["Location"].endswith(f"/console/broadcasts/{broadcast.id}")
    assert AuditEvent.get(AuditEvent.kind == "broadcast_sent").actor == COORDINATOR

    progress = client.get(f"/console/broadcasts/{broadcast.id}").get_data(as_text=True)
    assert '<progress max="3" value="0">' in progress
    assert 'src="/static/broadcast-progress.js"' in progress
    assert "Muat ulang" in progress  # the refresh link without JavaScript
    drain()
    assert {m.phone: m.text for m in outbox(purpose="broadcast")}[WIWIT] == JV_TEXT
    assert '<progress max="3" value="3">' in client.get(f"/console/broadcasts/{broadcast.id}").get_data(as_text=True)
    data = client.get(f"/console/broadcasts/{broadcast.id}/progress").get_json()
    assert data["state"] == "done" and data["total"] == 3 and data["sent"] == 3 and data["failed"] == 0


def test_pause_resume_and_cancel(app, coordinator, drain):
    many_people(250)
    client = coordinator
    form = compose(client)
    assert client.post("/console/broadcasts/send", data=form).status_code == 303
    broadcast = Broadcast.get()
    token = csrf_token(client, f"/console/broadcasts/{broadcast.id}")
    paused = client.post(f"/console/broadcasts/{broadcast.id}/pause", data={"csrf_token": token})
    assert paused.status_code == 303
    drain()
    assert outbox(purpose="broadcast") == []  # paused before its first batch: nothing written
    assert "dihentikan sementara" in client.get(f"/console/broadcasts/{broadcast.id}").get_data(as_text=True)

    client.post(f"/console/broadcasts/{broadcast.id}/resume", data={"csrf_token": token})
    drain()
    assert len(outbox(purpose="broadcast")) == 250
    assert Broadcast.get_by_id(broadcast.id).state == "done"
    refused = client.post(f"/console/broadcasts/{broadcast.id}/cancel", data={"csrf_token": token})
    assert refused.status_code == 303
    assert "tidak bisa diubah" in client.get(refused.headers["Location"]).get_data(as_text=True)
    kinds = [e.kind for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert kinds == ["broadcast_sent", "broadcast_pause", "broadcast_resume"]


def test_cancel_stops_further_batches(app, coordinator, drain):
    many_people(250)
    client = coordinator
    client.post("/console/broadcasts/send", data=compose(client))
    broadcast = Broadcast.get()
    token = csrf_token(client, f"/console/broadcasts/{broadcast.id}")
    assert client.post(f"/console/broadcasts/{broadcast.id}/cancel", data={"csrf_token": token}).status_code == 303
    drain()
    assert outbox(purpose="broadcast") == []
    assert Broadcast.get_by_id(broadcast.id).state == "cancelled"


def test_bad_form_is_refused_and_sends_nothing(app, coordinator):
    village_people()
    client = coordinator
    for fields, says in (
        ({"text_id": "   "}, "Teks Bahasa Indonesia wajib"),
        ({"village": "Atlantis"}, "Desa itu tidak ada"),
        ({"trained": "NOPE1"}, "Pelatihan dengan kode itu tidak ada"),
    ):
        answer = client.post("/console/broadcasts/send", data={**compose(client), **fields})
        assert answer.status_code == 400
        assert says in answer.get_data(as_text=True)
    assert Broadcast.select().count() == 0 and outbox() == []
    missing_csrf = client.post("/console/broadcasts/send", data={"text_id": ID_TEXT})
    assert missing_csrf.status_code == 400
    assert Broadcast.select().count() == 0


def test_an_organiser_finds_no_broadcast_pages(app, client):
    add_case_staff()
    village_people()
    give_password(ORGANIZER)
    sign_in(client, ORGANIZER)
    assert client.get("/console/broadcasts").status_code == 404
    token = csrf_token(client, "/console/password")
    answer = client.post("/console/broadcasts/send", data={"csrf_token": token, "text_id": ID_TEXT})
    assert answer.status_code == 404
    assert Broadcast.select().count() == 0 and outbox() == []
