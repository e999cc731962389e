"""Mentoring tasks by SMS: a follow-up answered "butuh bantuan" opens a task whose alert names it, an organiser takes
it (AMBIL), a second one is told who holds it, the holder closes it with a note (BERES), and the console lists it done.
Bad input gets a clear answer and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Staff, Task, database
from tests.support.console import give_password, sign_in
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from tests.tasks.journey import FOLLOWUP_30, JAKARTA, TRAINEE, asks_for_help, at, attended_training, settle

NOTE = "sudah ditelepon, ikut kelompok tani kopi bulan depan"


@pytest.fixture
def task(case_staff, send_sms, drain, runner) -> Task:
    """The mentoring task opened by the trainee's "butuh bantuan" at the 30-day follow-up."""
    attended_training(send_sms)
    assert asks_for_help(send_sms, drain, runner) == text("followup.thanks_help")
    [opened] = Task.select()
    return opened


def test_help_at_the_follow_up_opens_a_task_taken_and_closed_by_sms_and_shown_done(
    task, send_sms, client, drain, runner
):
    training_params = {"code": "KOPI1", "title": "Budidaya kopi"}
    assert (task.kind, task.phone, task.village, task.reason, task.status) == (
        "mentoring",
        TRAINEE,
        "Tracap",
        "help",
        "open",
    )
    alerts = outbox(purpose="alert")
    assert sorted(m.phone for m in alerts) == sorted([ORGANIZER, ORGANIZER_OTHER]), "organisers only"
    expected = text(
        "training.mentoring.task.help", task_id=str(task.id), name="Sri Lestari", phone=TRAINEE, **training_params
    )
    assert alerts[0].text == expected and f"AMBIL {task.id}" in expected

    organiser, other = Phone(send_sms, ORGANIZER), Phone(send_sms, ORGANIZER_OTHER)
    with at(FOLLOWUP_30):
        assert organiser.say(f"AMBIL {task.id}") == text(
            "tasks.sms.taken", task_id=str(task.id), task_kind="pendampingan", name="Sri Lestari", phone=TRAINEE
        )
        assert other.say(f"ambil #{task.id}") == text("tasks.sms.held", task_id=str(task.id), name="Siti")
        assert organiser.say(f"AMBIL {task.id}") == text(
            "tasks.sms.already_yours", task_id=str(task.id), name="Sri Lestari", phone=TRAINEE
        )
        assert other.say(f"BERES {task.id} saya sudah telepon") == text(
            "tasks.sms.not_holder", task_id=str(task.id), name="Siti"
        )
        assert Task.get_by_id(task.id).status == "taken"
        assert organiser.say(f"BERES {task.id} {NOTE}") == text("tasks.sms.closed", task_id=str(task.id))
        assert organiser.say(f"BERES {task.id} lagi") == text("tasks.sms.done", task_id=str(task.id))
        assert other.say(f"AMBIL {task.id}") == text("tasks.sms.done", task_id=str(task.id))

    closed = Task.get_by_id(task.id)
    assert (closed.status, closed.holder, closed.outcome) == ("done", ORGANIZER, NOTE)
    assert closed.taken_at is not None and closed.done_at is not None
    [(stored,)] = database.execute_sql("SELECT outcome FROM task").fetchall()
    assert NOTE not in stored and stored.startswith("gAAAAA"), "the outcome is encrypted at rest"
    assert outbox(TRAINEE, "alert") == [], "nothing about the task goes to the trainee"

    give_password(ORGANIZER)
    assert sign_in(client, ORGANIZER).status_code == 302
    page = client.get("/console/tasks?view=done").get_data(as_text=True)
    assert NOTE in page and "Sri Lestari" in page and f'id="task-{task.id}"' in page
    assert f'id="task-{task.id}"' not in client.get("/console/tasks?view=open").get_data(as_text=True)


def test_not_yet_twice_opens_one_task_named_in_the_alert(case_staff, send_sms, drain, runner):
    attended_training(send_sms)
    assert asks_for_help(send_sms, drain, runner, "2") == text("followup.thanks_not_yet")
    assert Task.select().count() == 0
    with at(dt.datetime(2027, 3, 10, 9, 0, tzinfo=JAKARTA)):
        settle(drain, runner)
        assert Phone(send_sms, TRAINEE).say("2") == text("followup.thanks_not_yet")
    [task] = Task.select()
    assert task.reason == "not_yet_twice"
    assert all(f"AMBIL {task.id}" in m.text for m in outbox(purpose="alert"))


def test_the_answers_speak_each_staff_members_language(task, send_sms):
    Staff.update(language="jv").where(Staff.phone == ORGANIZER_OTHER).execute()
    Staff.update(language="en").where(Staff.phone == COORDINATOR).execute()
    with at(FOLLOWUP_30):
        assert Phone(send_sms, ORGANIZER).say(f"AMBIL {task.id}").startswith(f"Tugas {task.id} (pendampingan)")
        assert Phone(send_sms, ORGANIZER_OTHER).say(f"AMBIL {task.id}") == text(
            "tasks.sms.held", "jv", task_id=str(task.id), name="Siti"
        )
        assert Phone(send_sms, COORDINATOR).say(f"AMBIL {task.id}") == text(
            "tasks.sms.held", "en", task_id=str(task.id), name="Siti"
        )


def test_a_coordinator_may_close_a_task_someone_else_holds_or_nobody_took(task, send_sms):
    with at(FOLLOWUP_30):
        assert Phone(send_sms, ORGANIZER).say(f"BERES {task.id} sudah") == text(
            "tasks.sms.not_taken", task_id=str(task.id)
        ), "an organiser takes it first"
        assert Phone(send_sms, COORDINATOR).say(f"BERES {task.id} ditangani kelompok tani") == text(
            "tasks.sms.closed", task_id=str(task.id)
        )
    closed = Task.get_by_id(task.id)
    assert (closed.status, closed.holder, closed.outcome) == ("done", COORDINATOR, "ditangani kelompok tani")


@pytest.mark.parametrize(
    ("sender", "body", "key", "params"),
    [
        (ORGANIZER, "AMBIL", "tasks.sms.usage.ambil", {}),
        (ORGANIZER, "beres", "tasks.sms.usage.beres", {}),
        (ORGANIZER, "AMBIL 99999", "tasks.sms.unknown", {"task_id": "99999"}),
        (ORGANIZER, "AMBIL 1x", "tasks.sms.unknown", {"task_id": "1X"}),
        (ORGANIZER, "AMBIL 12345678901234567890", "tasks.sms.unknown", {"task_id": "123456789012"}),
        (ORGANIZER, "BERES {id}", "tasks.sms.note_empty", {"task_id": "{id}"}),
        (ORGANIZER, "BERES {id}    ", "tasks.sms.note_empty", {"task_id": "{id}"}),
        (OFFICIAL, "AMBIL {id}", "tasks.sms.not_allowed", {}),
        ("+6281234567999", "AMBIL 12", "staff.only", {}),
        ("+6281234567999", "BERES {id} sudah", "staff.only", {}),
    ],
    ids=[
        "ambil-without-id",
        "beres-without-id",
        "unknown-id",
        "not-a-number",
        "too-long",
        "beres-without-note",
        "beres-blank-note",
        "official",
        "not-staff-ambil",
        "not-staff-beres",
    ],
)
def test_bad_input_is_answered_clearly_and_changes_nothing(task, send_sms, sender, body, key, params):
    with at(FOLLOWUP_30):
        if sender == ORGANIZER and body.startswith("BERES {id}"):
            Phone(send_sms, ORGANIZER).say(f"AMBIL {task.id}")
        before = [(t.status, t.holder, t.outcome) for t in Task.select()]
        filled = {name: value.replace("{id}", str(task.id)) for name, value in params.items()}
        assert Phone(send_sms, sender).say(body.replace("{id}", str(task.id))) == text(key, **filled)
    assert [(t.status, t.holder, t.outcome) for t in Task.select()] == before


def test_ordinary_words_from_staff_are_not_the_commands(task, send_sms):
    with at(FOLLOWUP_30):
        reply = Phone(send_sms, ORGANIZER).say("Ambil saja pak")
        assert reply is None or not reply.startswith(("Tugas", "Untuk mengambil"))
    assert Task.get_by_id(task.id).status == "open"


def test_a_cadre_sees_only_their_villages_tasks(task, send_sms):
    Staff.create(phone="+6281200000071", name="Dewi Kader", role="cadre", village="Lamuk")
    Staff.create(phone="+6281200000072", name="Rina Kader", role="cadre", village="Tracap")
    with at(FOLLOWUP_30):
        assert Phone(send_sms, "+6281200000071").say(f"AMBIL {task.id}") == text(
            "tasks.sms.unknown", task_id=str(task.id)
        ), "another village's task is as if it did not exist"
        assert Phone(send_sms, "+6281200000072").say(f"AMBIL {task.id}").startswith(f"Tugas {task.id}")
    assert Task.get_by_id(task.id).holder == "+6281200000072"
