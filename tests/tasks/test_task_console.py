"""The console's task list: who has it (organisers, coordinators, cadres; anyone else 404), what each one sees, and
taking and closing a task by the forms, with the same rules as AMBIL and BERES."""

from __future__ import annotations

import pytest

from models import Person, Staff, Task
from models.phones import mask
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.registration import register
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER

PERSON, RETURNEE = "+6281234567401", "+6281234567402"
HEAD_OF_TRACAP, CADRE_TRACAP, CADRE_LAMUK = "+6281200000081", "+6281200000082", "+6281200000083"


@pytest.fixture
def tasks(case_staff):
    """A mentoring task in Tracap, a visit task in Lamuk; a village head and a cadre of each village."""
    register(PERSON, name="Sri Lestari", village="Tracap")
    register(RETURNEE, name="Wati Purna", village="Lamuk")
    Staff.create(phone=HEAD_OF_TRACAP, name="Pak Kades", role="official", village="Tracap")
    Staff.create(phone=CADRE_TRACAP, name="Rina Kader", role="cadre", village="Tracap")
    Staff.create(phone=CADRE_LAMUK, name="Dewi Kader", role="cadre", village="Lamuk")
    mentoring = Task.open("mentoring", PERSON, "Tracap", "help", "enrollment:1")
    visit = Task.open("visit", RETURNEE, "Lamuk", "returnee", f"person:{Person.for_phone(RETURNEE).id}")
    return mentoring, visit


def signed_in(client, phone: str):
    give_password(phone)
    assert sign_in(client, phone).status_code == 302
    return client


def page(client, query: str = "") -> str:
    response = client.get(f"/console/tasks{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, task: Task, action: str, note: str | None = None, view: str = "open"):
    data = {"csrf_token": csrf_token(client, "/console/tasks"), "view": view}
    if note is not None:
        data["note"] = note
    return client.post(f"/console/tasks/{task.id}/{action}", data=data)


@pytest.mark.parametrize("phone", [OFFICIAL, HEAD_OF_TRACAP])
def test_officials_and_village_heads_have_no_task_page(client, tasks, phone):
    signed_in(client, phone)
    mentoring, _ = tasks
    assert client.get("/console/tasks").status_code == 404
    token = csrf_token(client, "/console")
    assert client.post(f"/console/tasks/{mentoring.id}/take", data={"csrf_token": token}).status_code == 404
    assert Task.get_by_id(mentoring.id).status == "open"
    assert 'href="/console/tasks"' not in client.get("/console").get_data(as_text=True)


def test_organisers_see_every_task_masked_and_coordinators_whole(client, tasks):
    mentoring, visit = tasks
    listed = page(signed_in(client, ORGANIZER))
    assert 'href="/console/tasks"' in listed
    assert f'id="task-{mentoring.id}"' in listed and f'id="task-{visit.id}"' in listed
    assert PERSON not in listed and mask(PERSON) in listed, "a list of numbers is what a leak would hurt most"
    only_visits = page(client, "?kind=visit")
    assert f'id="task-{visit.id}"' in only_visits and f'id="task-{mentoring.id}"' not in only_visits
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console")})
    assert PERSON in page(signed_in(client, COORDINATOR))


def test_a_cadre_sees_and_takes_only_their_villages_tasks(client, tasks):
    mentoring, visit = tasks
    listed = page(signed_in(client, CADRE_LAMUK))
    assert f'id="task-{visit.id}"' in listed and f'id="task-{mentoring.id}"' not in listed
    assert post(client, mentoring, "take").status_code == 404, "outside their village: as if it did not exist"
    assert Task.get_by_id(mentoring.id).status == "open"
    assert post(client, visit, "take").status_code == 303
    assert Task.get_by_id(visit.id).holder == CADRE_LAMUK


def test_taking_and_closing_by_the_forms(client, tasks):
    mentoring, _ = tasks
    signed_in(client, ORGANIZER)
    assert post(client, mentoring, "take").headers["Location"].endswith("/console/tasks?view=open")
    assert "sekarang Anda pegang" in page(client)
    mine = page(client, "?view=mine")
    assert f'id="task-{mentoring.id}"' in mine and PERSON in mine, "the holder is the one who calls: number whole"

    assert post(client, mentoring, "close", note="   ", view="mine").status_code == 303
    assert "tulis hasilnya dulu" in page(client, "?view=mine")
    assert Task.get_by_id(mentoring.id).status == "taken", "no note: nothing changes"

    assert post(client, mentoring, "close", note="Sudah ditelepon, ikut kelompok tani", view="mine").status_code == 303
    assert f"Tugas {mentoring.id} selesai" in page(client, "?view=done")
    closed = Task.get_by_id(mentoring.id)
    assert (closed.status, closed.holder, closed.outcome) == ("done", ORGANIZER, "Sudah ditelepon, ikut kelompok tani")
    assert "Sudah ditelepon, ikut kelompok tani" in page(client, "?view=done")


def test_a_second_organiser_is_told_who_holds_it_and_may_not_close_it(client, tasks):
    mentoring, _ = tasks
    mentoring.take(Staff.get(Staff.phone == ORGANIZER))
    signed_in(client, ORGANIZER_OTHER)
    post(client, mentoring, "take")
    assert f"Tugas {mentoring.id} sudah diambil oleh Siti Pengurus" in page(client)
    post(client, mentoring, "close", note="saya tutup")
    assert "hanya pemegangnya atau koordinator" in page(client)
    assert Task.get_by_id(mentoring.id).holder == ORGANIZER and Task.get_by_id(mentoring.id).status == "taken"


def test_a_form_without_its_csrf_token_changes_nothing(client, tasks):
    mentoring, _ = tasks
    signed_in(client, ORGANIZER)
    assert client.post(f"/console/tasks/{mentoring.id}/take", data={}).status_code == 400
    token = csrf_token(client, "/console/tasks")
    assert client.post("/console/tasks/99999/take", data={"csrf_token": token}).status_code == 404
    assert Task.get_by_id(mentoring.id).status == "open"


def test_the_page_works_in_english(client, tasks):
    signed_in(client, ORGANIZER)
    listed = page(client, "?lang=en")
    assert "Not taken" in listed and "Needs help applying a training" in listed and "visit" in listed
