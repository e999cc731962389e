"""The console's training pages through the Flask test client: the calendar, adding, changing, moving and cancelling
a training (the participants told by the same SMS as `training move`/`cancel`), the roster with its waiting list,
ticking attendance on the day (HADIR's effect), bad input that changes nothing, and who may see the pages at all."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from flask import g

from models import Enrollment, Training, database
from models.settings import to_utc
from tests.support.clock import JAKARTA
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER
from tests.support.texts import text

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
"""A Tuesday morning: no quiet hours."""
DAY = dt.datetime(2026, 12, 10, 9, 0, tzinfo=JAKARTA)
"""The coffee training's day."""
SEATED, WAITING, ABSENT = "+6281234567301", "+6281234567302", "+6281234567303"


@pytest.fixture(autouse=True)
def daytime():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def staff(case_staff):
    for phone in (ORGANIZER, COORDINATOR, OFFICIAL):
        give_password(phone)


def signed_in(app, phone: str):
    client = app.test_client()
    g.pop("csrf_token", None)
    assert sign_in(client, phone).status_code == 302
    return client


def post(client, path: str, data: dict[str, object]):
    """POST a console form as a browser does, with the token its page carries (the tests' app context outlives
    requests, so Flask-WTF's per-request cache of the token in `g` is dropped first)."""
    g.pop("csrf_token", None)
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/console")})


def add_kopi(capacity: int = 2) -> Training:
    with database.atomic():
        return Training.add(
            "KOPI1", "Budidaya kopi", "economic", to_utc(dt.datetime(2026, 12, 10, 8, 0)), "Balai Desa Tracap", capacity
        )


@pytest.fixture
def kopi(app, send_sms):
    """KOPI1 with 2 seats: SEATED and ABSENT hold them, WAITING waits."""
    training = add_kopi()
    for phone in (SEATED, ABSENT, WAITING):
        register(phone)
        Phone(send_sms, phone).say("LATIH KOPI1")
    return training


def params(training: Training) -> dict[str, str]:
    return {"code": training.code, "title": training.title, "date": training.starts_label, "place": training.place}


def test_an_organiser_adds_a_training_and_finds_it_in_the_calendar(app, staff):
    client = signed_in(app, ORGANIZER)
    form = {
        "code": "ternak2",
        "title": "Ternak kambing",
        "kind": "economic",
        "starts": "2026-12-14T09:00",
        "place": "Balai Desa Lamuk",
        "capacity": "15",
    }
    response = post(client, "/console/trainings/new", form)
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/trainings/TERNAK2")
    training = Training.by_code("TERNAK2")
    assert (training.title, training.capacity, training.starts_label) == ("Ternak kambing", 15, "14/12 09:00")
    assert [s.kind for s in training.steps] == ["reminder", "followup30", "followup90"]
    page = client.get("/console/trainings/TERNAK2").get_data(as_text=True)
    assert "Pelatihan TERNAK2 sudah ditambah" in page
    calendar = client.get("/console/trainings")
    assert calendar.status_code == 200 and "no-store" in calendar.headers["Cache-Control"]
    assert "TERNAK2" in calendar.get_data(as_text=True) and "0/15" in calendar.get_data(as_text=True)
    english = client.get("/console/trainings?lang=en").get_data(as_text=True)
    assert "Add a training" in english and "Upcoming (1)" in english


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("code", "K!", "Kode harus 3 sampai 10 huruf atau angka"),
        ("code", "KOPI1", "belum dipakai pelatihan lain"),
        ("title", "   ", "Judul harus diisi"),
        ("starts", "2026-11-30T09:00", "belum lewat"),
        ("starts", "besok pagi", "Isi tanggal dan jam mulai"),
        ("capacity", "0", "Jumlah kursi harus angka"),
        ("capacity", "lima", "Jumlah kursi harus angka"),
        ("place", "x" * 31, "Tempat harus diisi, paling banyak 30 huruf"),
        ("kind", "cooking", "Pilih jenis pelatihan"),
    ],
)
def test_a_bad_training_form_says_why_next_to_the_field_and_adds_nothing(app, staff, field, value, says):
    add_kopi()
    client = signed_in(app, COORDINATOR)
    form = {
        "code": "AMAN1",
        "title": "Migrasi aman",
        "kind": "education",
        "starts": "2026-12-12T09:00",
        "place": "Balai Desa",
        "capacity": "20",
        field: value,
    }
    response = post(client, "/console/trainings/new", form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert says in page and f'id="{field}-error"' in page
    assert Training.select().count() == 1


def test_the_training_page_shows_the_roster_the_waiting_list_and_masked_numbers_to_an_organiser(app, staff, kopi):
    organiser, coordinator = signed_in(app, ORGANIZER), signed_in(app, COORDINATOR)
    page = organiser.get("/console/trainings/kopi1").get_data(as_text=True)
    assert "Peserta (2/2)" in page and "Daftar antre (1)" in page
    assert SEATED not in page and "Sri Lestari" in page, "an organiser reads names and masked numbers"
    whole = coordinator.get("/console/trainings/KOPI1").get_data(as_text=True)
    assert SEATED in whole, "a coordinator reads them whole"
    calendar = organiser.get("/console/trainings").get_data(as_text=True)
    assert "2/2" in calendar


def test_moving_a_training_tells_everyone_still_coming_as_training_move_does(app, staff, kopi, drain):
    client = signed_in(app, ORGANIZER)
    form = {
        "title": "Budidaya kopi",
        "kind": "economic",
        "starts": "2026-12-17T08:00",
        "place": "Balai Desa Tracap",
        "capacity": "2",
    }
    response = post(client, "/console/trainings/KOPI1/edit", form)
    assert response.status_code == 303
    moved = Training.get_by_id(kopi.id)
    assert moved.starts_label == "17/12 08:00"
    news = outbox(purpose="training_news")
    assert sorted(m.phone for m in news) == sorted([SEATED, ABSENT, WAITING])
    assert {m.text for m in news} == {text("training.sms.moved", **params(moved))}
    assert "3 orang diberi tahu lewat SMS" in client.get("/console/trainings/KOPI1").get_data(as_text=True)
    drain()
    assert {m.status for m in outbox(purpose="training_news")} == {"sent"}
    step = next(s for s in moved.steps if s.kind == "reminder")
    assert step.due_at == to_utc(dt.datetime(2026, 12, 16, 7, 0)), "the reminder moves with the start"


def test_more_seats_promote_the_waiting_list_and_fewer_than_taken_is_refused(app, staff, kopi):
    client = signed_in(app, COORDINATOR)
    form = {"title": "Budidaya kopi", "kind": "economic", "starts": "2026-12-10T08:00", "place": "Balai Desa Tracap"}
    refused = post(client, "/console/trainings/KOPI1/edit", {**form, "capacity": "1"})
    assert refused.status_code == 400 and "tidak kurang dari yang sudah terdaftar" in refused.get_data(as_text=True)
    assert Training.get_by_id(kopi.id).capacity == 2 and outbox(purpose="training_news") == []
    assert post(client, "/console/trainings/KOPI1/edit", {**form, "capacity": "3"}).status_code == 303
    [news] = outbox(purpose="training_news")
    assert (news.phone, news.text) == (WAITING, text("training.sms.promoted", **params(kopi)))


def test_a_new_place_tells_everyone_still_coming(app, staff, kopi):
    client = signed_in(app, ORGANIZER)
    form = {"title": "Budidaya kopi", "kind": "economic", "starts": "2026-12-10T08:00", "capacity": "2"}
    assert post(client, "/console/trainings/KOPI1/edit", {**form, "place": "Rumah Bu Siti"}).status_code == 303
    changed = Training.get_by_id(kopi.id)
    assert changed.place == "Rumah Bu Siti"
    assert {m.text for m in outbox(purpose="training_news")} == {text("training.sms.moved", **params(changed))}
    assert post(client, "/console/trainings/KOPI1/edit", {**form, "place": "Rumah Bu Siti", "title": "Kopi"})
    assert len(outbox(purpose="training_news")) == 3, "a new title alone tells nobody"


def test_cancelling_needs_the_box_ticked_then_tells_everyone_as_training_cancel_does(app, staff, kopi, drain):
    client = signed_in(app, ORGANIZER)
    post(client, "/console/trainings/KOPI1/cancel", {})
    assert Training.get_by_id(kopi.id).status == "planned" and outbox(purpose="training_news") == []
    assert post(client, "/console/trainings/KOPI1/cancel", {"confirm": "yes"}).status_code == 303
    assert Training.get_by_id(kopi.id).status == "cancelled"
    news = outbox(purpose="training_news")
    assert sorted(m.phone for m in news) == sorted([SEATED, ABSENT, WAITING])
    assert {m.text for m in news} == {text("training.sms.cancelled", **params(kopi))}
    drain()
    page = client.get("/console/trainings/KOPI1").get_data(as_text=True)
    assert "Dibatalkan" in page and "/console/trainings/KOPI1/edit" not in page
    assert client.get("/console/trainings/KOPI1/edit").status_code == 404
    post(client, "/console/trainings/KOPI1/cancel", {"confirm": "yes"})
    assert len(outbox(purpose="training_news")) == 3, "cancelling twice tells nobody twice"


def test_attendance_is_ticked_on_the_day_as_hadir_marks_it(app, staff, kopi):
    client = signed_in(app, ORGANIZER)
    early = client.get("/console/trainings/KOPI1/attendance").get_data(as_text=True)
    assert "mulai hari pelatihan" in early and 'name="enrollment"' not in early
    seated = Enrollment.get(Enrollment.phone == SEATED)
    refused = post(client, "/console/trainings/KOPI1/attendance", {"enrollment": [str(seated.id)]})
    assert refused.status_code == 400 and Enrollment.get_by_id(seated.id).status == "signed_up"
    with time_machine.travel(DAY, tick=False):
        client = signed_in(app, ORGANIZER)  # the day's session
        nobody = post(client, "/console/trainings/KOPI1/attendance", {})
        assert nobody.status_code == 400 and "Belum ada nama yang dicentang" in nobody.get_data(as_text=True)
        waiting = Enrollment.get(Enrollment.phone == WAITING)
        ticked = {"enrollment": [str(seated.id), str(waiting.id), "999999", "x"]}
        response = post(client, "/console/trainings/KOPI1/attendance", ticked)
        assert response.status_code == 303
        statuses = {e.phone: e.status for e in Enrollment.select()}
        assert statuses == {SEATED: "attended", ABSENT: "absent", WAITING: "waitlisted"}, "a waiting place is no seat"
        assert Training.get_by_id(kopi.id).status == "held"
        page = client.get("/console/trainings/KOPI1/attendance").get_data(as_text=True)
        assert "1 orang dicatat hadir" in page
        training_page = client.get("/console/trainings/KOPI1").get_data(as_text=True)
        assert "Jawaban tindak lanjut" in training_page and "Sri Lestari" in training_page


def test_the_measures_of_a_training_are_those_of_its_export(app, staff, kopi, send_sms, runner):
    with time_machine.travel(DAY, tick=False):
        Phone(send_sms, ORGANIZER).say(f"HADIR KOPI1 {SEATED}")
    exported = json.loads(runner.invoke(args=["export", "trainings"]).output)[0]
    client = signed_in(app, ORGANIZER)
    page = client.get("/console/trainings/KOPI1").get_data(as_text=True)
    measures = page.split('id="measures"')[1].split("</dl>")[0]
    shown = [part.split("<dd>")[1] for part in measures.split("</dd>")[:-1]]
    names = ("signed_up", "waitlisted", "attended", "applied", "needs_help")
    assert shown == [str(exported[name]) for name in names] == ["2", "1", "1", "0", "0"]


@pytest.mark.parametrize("phone", [OFFICIAL])
def test_an_official_finds_no_training_pages(app, staff, kopi, phone):
    client = signed_in(app, phone)
    for path in ("/console/trainings", "/console/trainings/new", "/console/trainings/KOPI1"):
        assert client.get(path).status_code == 404
    assert post(client, "/console/trainings/KOPI1/cancel", {"confirm": "yes"}).status_code == 404
    assert Training.get_by_id(kopi.id).status == "planned"
    assert "/console/trainings" not in client.get("/console").get_data(as_text=True), "not in their menu"


def test_an_unknown_training_is_404_and_a_form_without_its_token_is_refused(app, staff, kopi):
    client = signed_in(app, ORGANIZER)
    assert client.get("/console/trainings/NOPE1").status_code == 404
    g.pop("csrf_token", None)
    response = client.post("/console/trainings/KOPI1/cancel", data={"confirm": "yes"})
    assert response.status_code == 400 and Training.get_by_id(kopi.id).status == "planned"
