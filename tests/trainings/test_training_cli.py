"""The organisers' training calendar end to end: `training add|list|cancel|move|attend` and `export trainings`.

People sign up the way villagers do (`LATIH <code>` by SMS, consent and a name first when unregistered);
the SMS that a change causes go through a real burst worker to the fake Africa's Talking server. Time
moves with time-machine: the calendar starts on a weekday morning in Jakarta, outside quiet hours.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import catalog
from menus.features.trainings.jobs import step_job_id
from models import Person, database
from models.task import Task
from models.training import Enrollment, Training, TrainingStep
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import ORGANIZER, ORGANIZER_OTHER
from workers.queues import job_is_live

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
"""When the organiser works on the calendar (a Tuesday morning, outside quiet hours)."""

STARTS = "2026-12-10 08:00"
STARTS_LOCAL = dt.datetime(2026, 12, 10, 8, 0, tzinfo=JAKARTA)

EXPORT_FIELDS = [
    "code",
    "title",
    "kind",
    "starts",
    "place",
    "capacity",
    "status",
    "signed_up",
    "waitlisted",
    "attended",
    "applied",
    "needs_help",
]

SITI, ANI, BUDI, DEWI = "+6281234567101", "+6281234567102", "+6281234567103", "+6281234567104"
STRANGER = "+6281299999999"


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def utc(local: dt.datetime) -> dt.datetime:
    """An aware local time as the naive UTC the database stores."""
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def add(runner, code: str = "KOPI1", capacity: int = 2, starts: str = STARTS, *extra: str):
    result = runner.invoke(
        args=[
            "training",
            "add",
            "--code",
            code,
            "--title",
            "Budidaya kopi",
            "--starts",
            starts,
            "--place",
            "Balai Desa Tracap",
            "--capacity",
            str(capacity),
            *extra,
        ]
    )
    assert result.exit_code == 0, result.output
    return result


def sign_up(send_sms, phone: str, code: str = "KOPI1", name: str = "Siti") -> str:
    """`LATIH <code>` from an unregistered phone: consent ("1") and a name, then the sign-up's reply."""
    person = Phone(send_sms, phone)
    assert "Setuju?" in person.say(f"LATIH {code}")
    assert person.say("1").startswith("Tulis nama")
    return person.say(name)


def received(fake_at, key: str, language: str = "id") -> list[str]:
    """Phones the fake gateway got the text `key` for (its fixed start), one entry per SMS."""
    start = catalog.raw_text(key, language).split("{")[0]
    return sorted(
        phone
        for request in fake_at.requests
        if request.form["message"].startswith(start)
        for phone in request.form["to"].split(",")
    )


def texts_to(phone: str, purpose: str) -> list[str]:
    return [m.text for m in outbox(phone, purpose)]


def settle(drain, runner) -> None:
    """What a running system does: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def statuses(code: str = "KOPI1") -> dict[str, str]:
    training = Training.by_code(code)
    return {e.phone: e.status for e in Enrollment.select().where(Enrollment.training == training.id)}


# training add


def test_add_plans_a_training_and_schedules_its_steps(app, runner):
    with at(NOW):
        result = add(runner, "kopi-1", 25)
    assert result.output == "training KOPI1 added: Budidaya kopi, 10/12 08:00 at Balai Desa Tracap, 25 seats\n"
    training = Training.get()
    assert (training.code, training.kind, training.status, training.capacity) == ("KOPI1", "economic", "planned", 25)
    assert training.starts_at == utc(STARTS_LOCAL) == dt.datetime(2026, 12, 10, 1, 0)
    steps = {s.kind: s for s in TrainingStep.select()}
    assert {kind: s.due_at for kind, s in steps.items()} == {
        "reminder": utc(dt.datetime(2026, 12, 9, 7, 0, tzinfo=JAKARTA)),
        "followup30": utc(dt.datetime(2027, 1, 9, 9, 0, tzinfo=JAKARTA)),
        "followup90": utc(dt.datetime(2027, 3, 10, 9, 0, tzinfo=JAKARTA)),
    }
    assert all(job_is_live(step_job_id(step)) for step in steps.values()), "each step has its RQ job"


def test_add_takes_the_kind(app, runner):
    with at(NOW):
        add(runner, "MIGRASI1", 30, STARTS, "--kind", "education")
    assert Training.get().kind == "education"


@pytest.mark.parametrize(
    "change,complaint",
    [
        ({"--kind": "cooking"}, "--kind"),
        ({"--starts": "2026-11-30 08:00"}, "the start is in the past"),
        ({"--starts": "2026-12-01 10:00"}, "the start is in the past"),
        ({"--starts": "10/12/2026 08:00"}, "'10/12/2026 08:00' is not YYYY-MM-DD HH:MM"),
        ({"--starts": "2026-12-10"}, "is not YYYY-MM-DD HH:MM"),
        ({"--starts": "2026-02-30 08:00"}, "is not YYYY-MM-DD HH:MM"),
        ({"--capacity": "0"}, "--capacity"),
        ({"--capacity": "-5"}, "--capacity"),
        ({"--capacity": "ten"}, "--capacity"),
        ({"--code": "K1"}, "3 to 10 letters or digits"),
        ({"--title": "x" * 41}, "title must have 1 to 40 characters"),
        ({"--place": "  "}, "place must have 1 to 30 characters"),
    ],
)
def test_add_refuses_bad_input_clearly(app, runner, change, complaint):
    options = {
        "--code": "KOPI1",
        "--title": "Budidaya kopi",
        "--starts": STARTS,
        "--place": "Balai Desa Tracap",
        "--capacity": "20",
        **change,
    }
    with at(NOW):
        result = runner.invoke(args=["training", "add", *(item for pair in options.items() for item in pair)])
    assert result.exit_code != 0
    assert complaint in result.output
    assert "Traceback" not in result.output
    assert Training.select().count() == 0 and TrainingStep.select().count() == 0


def test_add_refuses_a_code_already_used_in_any_spelling(app, runner):
    with at(NOW):
        add(runner, "KOPI1", 20)
        result = runner.invoke(
            args=[
                "training",
                "add",
                "--code",
                "kopi-1",
                "--title",
                "Another",
                "--starts",
                "2026-12-20 08:00",
                "--place",
                "Balai Desa Lamuk",
                "--capacity",
                "5",
            ]
        )
    assert result.exit_code != 0
    assert "a training with code KOPI1 already exists" in result.output
    [training] = Training.select()
    assert (training.title, training.capacity) == ("Budidaya kopi", 20)


# training list


def test_list_says_when_there_is_nothing(app, runner):
    result = runner.invoke(args=["training", "list"])
    assert result.exit_code == 0
    assert result.output == "no trainings yet (add one with `training add`)\n"


def test_list_shows_trainings_soonest_first_with_seats_and_waiting_list(app, runner, send_sms):
    with at(NOW):
        add(runner, "TELUR", 15, "2026-12-20 13:30", "--kind", "economic")
        add(runner, "KOPI1", 2)
        for phone, name in ((SITI, "Siti"), (ANI, "Ani"), (BUDI, "Budi")):
            sign_up(send_sms, phone, "KOPI1", name)
        result = runner.invoke(args=["training", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "KOPI1      10/12 08:00 planned   2/2 seats, 1 waiting, 0 attended  Budidaya kopi (Balai Desa Tracap)",
        "TELUR      20/12 13:30 planned   0/15 seats, 0 waiting, 0 attended  Budidaya kopi (Balai Desa Tracap)",
    ]


# training cancel


def test_cancel_tells_everyone_signed_up_or_waiting_in_their_language(app, runner, send_sms, drain, use_africastalking):
    register(DEWI, name="Dewi", country="hongkong", language="en", via="ussd")
    with at(NOW):
        add(runner, "KOPI1", 2)
        assert sign_up(send_sms, SITI, name="Siti").startswith("Terdaftar: KOPI1")
        assert "KOPI1" in Phone(send_sms, DEWI).say("LATIH KOPI1")
        assert statuses()[DEWI] == "signed_up", "a registered person signs up at once, no consent asked again"
        assert "daftar tunggu" in sign_up(send_sms, ANI, name="Ani")
        sign_up(send_sms, BUDI, name="Budi")
        assert "dibatalkan" in Phone(send_sms, BUDI).say("BATAL KOPI1"), "Budi withdrew before the cancellation"
        drain()
        use_africastalking.reset()

        result = runner.invoke(args=["training", "cancel", "--code", "kopi1"])
        assert result.exit_code == 0, result.output
        assert result.output == "training KOPI1 cancelled; 3 people told by SMS\n"
        drain()

    assert Training.get().status == "cancelled"
    assert received(use_africastalking, "training.sms.cancelled") == sorted([SITI, ANI])
    assert received(use_africastalking, "training.sms.cancelled", "en") == [DEWI]
    params = {"code": "KOPI1", "title": "Budidaya kopi", "date": "10/12 08:00", "place": "Balai Desa Tracap"}
    assert texts_to(SITI, "training_news") == [catalog.text("training.sms.cancelled", "id", params)]
    assert texts_to(DEWI, "training_news") == [catalog.text("training.sms.cancelled", "en", params)]
    assert texts_to(BUDI, "training_news") == [], "who withdrew is not told"
    assert {m.status for m in outbox(purpose="training_news")} == {"sent"}
    assert "cancelled" in runner.invoke(args=["training", "list"]).output


def test_a_cancelled_training_sends_no_reminder(app, runner, send_sms, drain, use_africastalking):
    with at(NOW):
        add(runner, "KOPI1", 2)
        sign_up(send_sms, SITI)
        assert runner.invoke(args=["training", "cancel", "--code", "KOPI1"]).exit_code == 0
        drain()
    with at(dt.datetime(2026, 12, 9, 7, 0, tzinfo=JAKARTA)):
        settle(drain, runner)
    assert outbox(purpose="reminder") == []
    assert TrainingStep.get(TrainingStep.kind == "reminder").done_at is None


def test_cancel_in_quiet_hours_waits_for_six_in_the_morning(app, runner, send_sms, drain, use_africastalking):
    with at(NOW):
        add(runner, "KOPI1", 2)
        sign_up(send_sms, SITI)
        sign_up(send_sms, ANI, name="Ani")
        drain()
    use_africastalking.reset()
    late = dt.datetime(2026, 12, 1, 22, 30, tzinfo=JAKARTA)
    six = dt.datetime(2026, 12, 2, 6, 0, tzinfo=JAKARTA)
    with at(late):
        result = runner.invoke(args=["training", "cancel", "--code", "KOPI1"])
        assert result.exit_code == 0, result.output
        settle(drain, runner)
    news = outbox(purpose="training_news")
    assert [(m.phone, m.status, m.next_attempt_at) for m in news] == [
        (SITI, "queued", utc(six)),
        (ANI, "queued", utc(six)),
    ]
    assert use_africastalking.requests == []
    with at(six - dt.timedelta(minutes=1)):
        settle(drain, runner)
    assert use_africastalking.requests == []
    with at(six):
        drain()
    assert received(use_africastalking, "training.sms.cancelled") == sorted([SITI, ANI])
    assert {m.status for m in outbox(purpose="training_news")} == {"sent"}


def test_cancel_names_an_unknown_code(app, runner):
    result = runner.invoke(args=["training", "cancel", "--code", "nope9"])
    assert result.exit_code != 0
    assert "no training with code 'nope9'" in result.output and "--code" in result.output


def test_cancel_twice_is_refused_and_tells_nobody_again(app, runner, send_sms, drain):
    with at(NOW):
        add(runner, "KOPI1", 2)
        sign_up(send_sms, SITI)
        assert runner.invoke(args=["training", "cancel", "--code", "KOPI1"]).exit_code == 0
        result = runner.invoke(args=["training", "cancel", "--code", "KOPI1"])
    assert result.exit_code != 0
    assert "training KOPI1 is cancelled, not planned" in result.output
    assert len(outbox(purpose="training_news")) == 1


# training move


def test_move_tells_participants_the_new_date_and_moves_the_reminder(app, runner, send_sms, drain, use_africastalking):
    with at(NOW):
        add(runner, "KOPI1", 2)
        sign_up(send_sms, SITI)
        sign_up(send_sms, ANI, name="Ani")
        sign_up(send_sms, BUDI, name="Budi")
        drain()
        use_africastalking.reset()
        result = runner.invoke(args=["training", "move", "--code", "KOPI1", "--starts", "2026-12-15 09:30"])
        assert result.exit_code == 0, result.output
        assert "KOPI1" in result.output and "15/12 09:30" in result.output
        assert result.output.endswith("; 3 people told by SMS\n")
        drain()

    new_start = dt.datetime(2026, 12, 15, 9, 30, tzinfo=JAKARTA)
    training = Training.get()
    assert training.starts_at == utc(new_start)
    moved = catalog.text(
        "training.sms.moved",
        "id",
        {"code": "KOPI1", "title": "Budidaya kopi", "date": "15/12 09:30", "place": "Balai Desa Tracap"},
    )
    assert "15/12 09:30" in moved
    assert received(use_africastalking, "training.sms.moved") == sorted([SITI, ANI, BUDI])
    assert all(texts_to(phone, "training_news") == [moved] for phone in (SITI, ANI, BUDI))
    steps = {s.kind: s.due_at for s in TrainingStep.select()}
    assert steps == {
        "reminder": utc(dt.datetime(2026, 12, 14, 7, 0, tzinfo=JAKARTA)),
        "followup30": utc(dt.datetime(2027, 1, 14, 9, 0, tzinfo=JAKARTA)),
        "followup90": utc(dt.datetime(2027, 3, 15, 9, 0, tzinfo=JAKARTA)),
    }

    with at(dt.datetime(2026, 12, 9, 7, 0, tzinfo=JAKARTA)):
        settle(drain, runner)
    assert outbox(purpose="reminder") == [], "nothing at the old reminder time"
    with at(dt.datetime(2026, 12, 14, 7, 0, tzinfo=JAKARTA)):
        drain()
        assert sorted(m.phone for m in outbox(purpose="reminder")) == sorted([SITI, ANI]), (
            "the reminder goes at the new time, to the seated only"
        )
        settle(drain, runner)
    assert len(outbox(purpose="reminder")) == 2, "once"
    assert "15/12 09:30" in outbox(SITI, "reminder")[0].text


@pytest.mark.parametrize(
    "starts,complaint",
    [
        ("2026-11-30 08:00", "the new start is in the past"),
        ("2026-12-01 09:59", "the new start is in the past"),
        ("15-12-2026 08:00", "is not YYYY-MM-DD HH:MM"),
    ],
)
def test_move_refuses_a_past_or_unreadable_start(app, runner, send_sms, starts, complaint):
    with at(NOW):
        add(runner, "KOPI1", 2)
        sign_up(send_sms, SITI)
        result = runner.invoke(args=["training", "move", "--code", "KOPI1", "--starts", starts])
    assert result.exit_code != 0
    assert complaint in result.output and "--starts" in result.output
    assert Training.get().starts_at == utc(STARTS_LOCAL)
    assert TrainingStep.get(TrainingStep.kind == "reminder").due_at == utc(
        dt.datetime(2026, 12, 9, 7, 0, tzinfo=JAKARTA)
    )
    assert outbox(purpose="training_news") == []


def test_move_names_an_unknown_code_and_refuses_a_cancelled_training(app, runner):
    with at(NOW):
        unknown = runner.invoke(args=["training", "move", "--code", "TEH9", "--starts", "2026-12-15 08:00"])
        add(runner, "KOPI1", 2)
        runner.invoke(args=["training", "cancel", "--code", "KOPI1"])
        cancelled = runner.invoke(args=["training", "move", "--code", "KOPI1", "--starts", "2026-12-15 08:00"])
    assert unknown.exit_code != 0 and "no training with code 'TEH9'" in unknown.output
    assert cancelled.exit_code != 0 and "training KOPI1 is cancelled, not planned" in cancelled.output


@pytest.mark.parametrize(
    "args,complaint",
    [
        (["--capacity", "1"], "capacity 1 is below the 2 people already signed up"),
        (["--capacity", "0"], "capacity must be at least 1"),
        (["--capacity", "-2"], "capacity must be at least 1"),
        (["--capacity", "many"], "--capacity"),
        ([], "give --starts, --capacity or both"),
    ],
)
def test_move_refuses_a_capacity_below_the_signed_up_clearly(app, runner, send_sms, args, complaint):
    with at(NOW):
        add(runner, "KOPI1", 2)
        sign_up(send_sms, SITI)
        sign_up(send_sms, ANI, name="Ani")
        sign_up(send_sms, BUDI, name="Budi")
        result = runner.invoke(args=["training", "move", "--code", "KOPI1", *args])
    assert result.exit_code != 0
    assert complaint in result.output and "Traceback" not in result.output
    assert Training.get().capacity == 2
    assert statuses() == {SITI: "signed_up", ANI: "signed_up", BUDI: "waitlisted"}
    assert outbox(purpose="training_news") == []


def test_more_seats_promote_the_waiting_list_first_come_first(app, runner, send_sms, drain, use_africastalking):
    with at(NOW):
        add(runner, "KOPI1", 1)
        for phone, name in ((SITI, "Siti"), (ANI, "Ani"), (BUDI, "Budi"), (DEWI, "Dewi")):
            sign_up(send_sms, phone, name=name)
        use_africastalking.reset()
        result = runner.invoke(args=["training", "move", "--code", "KOPI1", "--capacity", "3"])
        assert result.exit_code == 0, result.output
        drain()
    assert "3 seats" in result.output and result.output.endswith("; 2 people told by SMS\n")
    assert statuses() == {SITI: "signed_up", ANI: "signed_up", BUDI: "signed_up", DEWI: "waitlisted"}
    assert received(use_africastalking, "training.sms.promoted") == sorted([ANI, BUDI])
    assert Training.get().starts_at == utc(STARTS_LOCAL), "seats alone do not move the date"
    assert "3/3 seats, 1 waiting" in runner.invoke(args=["training", "list"]).output


def test_moving_and_adding_seats_at_once_tells_the_promoted_the_new_date_once(app, runner, send_sms):
    with at(NOW):
        add(runner, "KOPI1", 1)
        sign_up(send_sms, SITI)
        sign_up(send_sms, ANI, name="Ani")
        result = runner.invoke(
            args=["training", "move", "--code", "KOPI1", "--starts", "2026-12-15 09:30", "--capacity", "2"]
        )
    assert result.exit_code == 0, result.output
    news = texts_to(ANI, "training_news")
    assert all("15/12 09:30" in text for text in news), news
    assert len(news) == 1, news


# training attend


def test_attend_marks_the_present_and_the_rest_absent_and_lists_strangers(app, runner, send_sms):
    with at(NOW):
        add(runner, "KOPI1", 3)
        for phone, name in ((SITI, "Siti"), (ANI, "Ani"), (BUDI, "Budi"), (DEWI, "Dewi")):
            sign_up(send_sms, phone, name=name)
    with at(STARTS_LOCAL + dt.timedelta(hours=4)):
        result = runner.invoke(
            args=[
                "training",
                "attend",
                "--code",
                "kopi-1",
                "--phone",
                "081234567101",
                "--phone",
                "6281234567102",
                "--phone",
                STRANGER,
                "--phone",
                DEWI,
            ]
        )
    assert result.exit_code == 0, result.output
    assert result.output == f"training KOPI1: 2 marked attended; not signed up: {STRANGER}, {DEWI}\n"
    assert statuses() == {SITI: "attended", ANI: "attended", BUDI: "absent", DEWI: "waitlisted"}
    assert Training.get().status == "held"
    assert runner.invoke(args=["training", "list"]).output.startswith(
        "KOPI1      10/12 08:00 held      3/3 seats, 1 waiting, 2 attended"
    )


def test_attend_again_marks_a_late_comer_and_changes_nothing_else(app, runner, send_sms):
    with at(NOW):
        add(runner, "KOPI1", 3)
        sign_up(send_sms, SITI)
        sign_up(send_sms, ANI, name="Ani")
    with at(STARTS_LOCAL + dt.timedelta(hours=4)):
        assert runner.invoke(args=["training", "attend", "--code", "KOPI1", "--phone", SITI]).exit_code == 0
        result = runner.invoke(args=["training", "attend", "--code", "KOPI1", "--phone", SITI, "--phone", ANI])
    assert result.exit_code == 0 and result.output == "training KOPI1: 2 marked attended\n"
    assert statuses() == {SITI: "attended", ANI: "attended"}


def test_attend_with_nobody_signed_up_fails(app, runner, send_sms):
    with at(NOW):
        add(runner, "KOPI1", 3)
        sign_up(send_sms, SITI)
    with at(STARTS_LOCAL):
        result = runner.invoke(args=["training", "attend", "--code", "KOPI1", "--phone", STRANGER])
    assert result.exit_code == 1
    assert f"0 marked attended; not signed up: {STRANGER}" in result.output
    assert statuses() == {SITI: "signed_up"} and Training.get().status == "planned"


@pytest.mark.parametrize(
    "args,complaint",
    [
        (["--code", "NOPE1", "--phone", SITI], "no training with code 'NOPE1'"),
        (["--code", "KOPI1", "--phone", "MPESA"], "'MPESA' is not a phone number"),
        (["--code", "KOPI1"], "--phone"),
    ],
)
def test_attend_refuses_bad_input_clearly(app, runner, send_sms, args, complaint):
    with at(NOW):
        add(runner, "KOPI1", 3)
        sign_up(send_sms, SITI)
    with at(STARTS_LOCAL):
        result = runner.invoke(args=["training", "attend", *args])
    assert result.exit_code != 0 and complaint in result.output
    assert statuses() == {SITI: "signed_up"}


def test_attend_refuses_a_cancelled_training(app, runner, send_sms):
    with at(NOW):
        add(runner, "KOPI1", 3)
        sign_up(send_sms, SITI)
        runner.invoke(args=["training", "cancel", "--code", "KOPI1"])
    with at(STARTS_LOCAL):
        result = runner.invoke(args=["training", "attend", "--code", "KOPI1", "--phone", SITI])
    assert result.exit_code != 0 and "training KOPI1 was cancelled" in result.output
    assert statuses() == {SITI: "signed_up"}


def test_attendance_is_taken_from_the_training_day_on(app, runner, send_sms):
    with at(NOW):
        add(runner, "KOPI1", 3)
        sign_up(send_sms, SITI)
        sign_up(send_sms, ANI, name="Ani")
    with at(dt.datetime(2026, 12, 9, 23, 59, tzinfo=JAKARTA)):
        early = runner.invoke(args=["training", "attend", "--code", "KOPI1", "--phone", SITI])
    assert early.exit_code != 0
    assert "training KOPI1 is on 10/12 08:00: attendance is taken from that day on" in early.output
    assert statuses() == {SITI: "signed_up", ANI: "signed_up"} and Training.get().status == "planned"
    with at(dt.datetime(2026, 12, 10, 7, 0, tzinfo=JAKARTA)):
        result = runner.invoke(args=["training", "attend", "--code", "KOPI1", "--phone", SITI])
    assert result.exit_code == 0 and result.output == "training KOPI1: 1 marked attended\n"
    assert statuses() == {SITI: "attended", ANI: "absent"}


# export trainings


COHORT = [f"+62812345672{i:02d}" for i in range(11)]
"""Eleven people for a training of ten seats: ten signed up, the last on the waiting list."""
NAMES = ["Siti", "Ani", "Budi", "Dewi", "Eko", "Fitri", "Gilang", "Hana", "Indah", "Joko", "Kartini"]
APPLIED, HELP, NOT_YET, SILENT = COHORT[:5], COHORT[5:7], COHORT[7:8], COHORT[8:10]
"""Of the ten seated: eight attend (5 applied it, 2 need help, 1 not yet); two stay away."""
FOLLOWUP_30 = dt.datetime(2027, 1, 9, 9, 0, tzinfo=JAKARTA)
FOLLOWUP_90 = dt.datetime(2027, 3, 10, 9, 0, tzinfo=JAKARTA)


def answer_followup(send_sms, phones: list[str], reply: str, thanks: str) -> None:
    for phone in phones:
        assert Phone(send_sms, phone).say(reply) == catalog.text(thanks, "id"), phone


def run_cohort(runner, send_sms, drain, fake_at) -> None:
    """KOPI1 (10 seats): 11 sign up by SMS, 8 attend, the 30-day follow-up goes out and is answered by SMS."""
    with at(NOW):
        add(runner, "KOPI1", 10)
        add(runner, "TELUR", 12, "2026-12-20 13:30", "--kind", "education")
        for phone, name in zip(COHORT, NAMES):
            assert sign_up(send_sms, phone, name=name).startswith("Terdaftar" if phone != COHORT[-1] else "KOPI1 penuh")
        drain()
    with at(dt.datetime(2026, 12, 9, 7, 0, tzinfo=JAKARTA)):
        drain()
    assert len(outbox(purpose="reminder")) == 10
    with at(STARTS_LOCAL + dt.timedelta(hours=5)):
        attended = [item for phone in APPLIED + HELP + NOT_YET for item in ("--phone", phone)]
        result = runner.invoke(args=["training", "attend", "--code", "KOPI1", *attended])
        assert result.output == "training KOPI1: 8 marked attended\n"
    fake_at.reset()
    with at(FOLLOWUP_30 - dt.timedelta(minutes=1)):
        settle(drain, runner)
    assert outbox(purpose="followup") == []
    with at(FOLLOWUP_30):
        drain()
    assert received(fake_at, "training.sms.followup30") == sorted(APPLIED + HELP + NOT_YET)
    with at(FOLLOWUP_30 + dt.timedelta(hours=2)):
        answer_followup(send_sms, APPLIED, "1", "followup.thanks")
        answer_followup(send_sms, HELP, "3", "followup.thanks_help")
        answer_followup(send_sms, NOT_YET, "2", "followup.thanks_not_yet")
        drain()


def test_export_trainings_counts_people_by_their_follow_up_answers(
    app, runner, send_sms, drain, case_staff, use_africastalking
):
    run_cohort(runner, send_sms, drain, use_africastalking)
    result = runner.invoke(args=["export", "trainings"])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert all(list(record) == EXPORT_FIELDS for record in records)
    assert records == [
        {
            "code": "KOPI1",
            "title": "Budidaya kopi",
            "kind": "economic",
            "starts": "2026-12-10T01:00:00Z",
            "place": "Balai Desa Tracap",
            "capacity": 10,
            "status": "held",
            "signed_up": 10,
            "waitlisted": 1,
            "attended": 8,
            "applied": 5,
            "needs_help": 2,
        },
        {
            "code": "TELUR",
            "title": "Budidaya kopi",
            "kind": "education",
            "starts": "2026-12-20T06:30:00Z",
            "place": "Balai Desa Tracap",
            "capacity": 12,
            "status": "planned",
            "signed_up": 0,
            "waitlisted": 0,
            "attended": 0,
            "applied": 0,
            "needs_help": 0,
        },
    ]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["export", "trainings", "--format", "csv"]).stdout)))
    assert list(rows[0]) == EXPORT_FIELDS
    assert rows == [{key: str(value) for key, value in record.items()} for record in records]

    assert Task.select().count() == 2, "each attendee needing help is one task"
    assert sorted(received(use_africastalking, "training.mentoring.task.help")) == sorted(
        [ORGANIZER, ORGANIZER_OTHER] * 2
    )


def test_export_counts_the_latest_answer_of_each_attendee(app, runner, send_sms, drain, case_staff, use_africastalking):
    run_cohort(runner, send_sms, drain, use_africastalking)
    with at(FOLLOWUP_90):
        drain()
    assert len(outbox(purpose="followup")) == 16, "both follow-ups went to the eight attendees"
    with at(FOLLOWUP_90 + dt.timedelta(hours=1)):
        answer_followup(send_sms, NOT_YET + HELP[:1], "1", "followup.thanks")
        drain()
    [record] = [r for r in json.loads(runner.invoke(args=["export", "trainings"]).stdout) if r["code"] == "KOPI1"]
    assert (record["attended"], record["applied"], record["needs_help"]) == (8, 7, 1), (
        "the silent at 90 days keep their 30-day answer; the latest answer counts"
    )


# what the sending policy refuses, and texts that stay in GSM-7


def test_cancel_counts_who_the_sending_policy_refused(app, runner, send_sms, drain, use_africastalking):
    with at(NOW):
        add(runner, "KOPI1", 3)
        sign_up(send_sms, SITI)
        sign_up(send_sms, ANI, name="Ani")
        with database.atomic():
            Person.mark_unsafe(ANI)
        result = runner.invoke(args=["training", "cancel", "--code", "KOPI1"])
        drain()
    assert result.output == "training KOPI1 cancelled; 1 people told by SMS (1 refused by the sending policy)\n"
    assert [(m.phone, m.status) for m in outbox(purpose="training_news")] == [(SITI, "sent"), (ANI, "refused")]
    assert received(use_africastalking, "training.sms.cancelled") == [SITI]


def test_a_title_pasted_with_typographic_characters_keeps_the_sms_in_gsm7(app, runner, send_sms):
    with at(NOW):
        result = runner.invoke(
            args=[
                "training",
                "add",
                "--code",
                "KOPI1",
                "--title",
                "Kopi \u2013 panen\u2019s",
                "--starts",
                STARTS,
                "--place",
                "Balai Desa Tracap",
                "--capacity",
                "2",
            ]
        )
        if result.exit_code != 0:
            assert "--title" in result.output or "title" in result.output, "refused clearly"
            return
        sign_up(send_sms, SITI)
        assert runner.invoke(args=["training", "cancel", "--code", "KOPI1"]).exit_code == 0
    [news] = outbox(SITI, "training_news")
    assert (news.encoding, news.segments) == ("gsm7", 1), news.text


@pytest.mark.parametrize("change", [["--starts", "2026-12-15 08:00"], ["--capacity", "5"]])
def test_move_of_a_cancelled_training_does_not_blame_the_date(app, runner, change):
    with at(NOW):
        add(runner, "KOPI1", 2)
        runner.invoke(args=["training", "cancel", "--code", "KOPI1"])
        result = runner.invoke(args=["training", "move", "--code", "KOPI1", *change])
    assert "training KOPI1 is cancelled, not planned" in result.output
    assert "--starts" not in result.output, result.output
    assert result.exit_code == 1, "a refusal, not a usage error"
