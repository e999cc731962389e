"""Walk-ins on the console's attendance page: someone who came without signing up is added by name and number,
counted as attended and asked for consent by SMS. "YA" records the consent (its wording version) and the 30-day
follow-up reaches them like any attendee; "TIDAK", or no answer by then, erases the name and the number and no
follow-up goes. Bad numbers and names get a clear error and change nothing. Jobs run by a real burst worker; time
moves with time-machine."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask import g

from models import Enrollment, Person, Training, database
from models.person import CONSENT_VERSION
from models.settings import to_utc
from models.walk_in import WALK_IN_CONSENT_VERSION, WalkIn
from tests.support.clock import JAKARTA
from tests.support.console import csrf_token, give_password, sign_in
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import ORGANIZER
from tests.support.texts import text

ADDED = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
DAY = dt.datetime(2026, 12, 10, 11, 0, tzinfo=JAKARTA)
"""The coffee training (08:00) is under way."""
FOLLOWUP_30 = dt.datetime(2027, 1, 9, 9, 0, tzinfo=JAKARTA)
"""30 days after the start's day, 09:00: the follow-up is due."""
SIGNED, WALK_IN = "+6281234567401", "+6281234567402"


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def post(client, path: str, data: dict[str, object]):
    """POST a console form with the token its page carries (Flask-WTF's per-request cache in `g` dropped first)."""
    g.pop("csrf_token", None)
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/console")})


@pytest.fixture
def kopi(app, send_sms, case_staff):
    """KOPI1, added on 1 December with its steps' jobs; SIGNED signed up by SMS."""
    give_password(ORGANIZER)
    with at(ADDED):
        assert (
            app.test_cli_runner()
            .invoke(
                args=[
                    "training",
                    "add",
                    "--code",
                    "KOPI1",
                    "--title",
                    "Budidaya kopi",
                    "--starts",
                    "2026-12-10 08:00",
                    "--place",
                    "Balai Desa Tracap",
                    "--capacity",
                    "10",
                ]
            )
            .exit_code
            == 0
        )
        register(SIGNED)
        Phone(send_sms, SIGNED).say("LATIH KOPI1")
    return Training.by_code("KOPI1")


@pytest.fixture
def on_the_day(app, kopi):
    """The organiser signed in on the training's day."""
    with at(DAY):
        client = app.test_client()
        g.pop("csrf_token", None)
        assert sign_in(client, ORGANIZER).status_code == 302
        yield client


def params(training: Training) -> dict[str, str]:
    return {"code": training.code, "title": training.title, "date": training.starts_label, "place": training.place}


def add_walk_in(client, name: str = "Wati", phone: str = "0812-3456-7402"):
    return post(client, "/console/trainings/KOPI1/attendance/walk-in", {"name": name, "phone": phone})


def test_a_walk_in_is_counted_asked_by_sms_and_after_yes_gets_the_30_day_follow_up(
    app, kopi, on_the_day, send_sms, drain, runner
):
    signed = Enrollment.get(Enrollment.phone == SIGNED)
    assert post(on_the_day, "/console/trainings/KOPI1/attendance", {"enrollment": [str(signed.id)]}).status_code == 303
    response = add_walk_in(on_the_day)
    assert response.status_code == 303
    page = on_the_day.get("/console/trainings/KOPI1/attendance").get_data(as_text=True)
    assert "Wati dicatat hadir" in page and "menunggu persetujuan" in page
    walk_in = Enrollment.get(Enrollment.phone == WALK_IN)
    assert walk_in.status == "attended"
    assert Training.measures()[kopi.id]["attended"] == 2, "the walk-in is counted"
    person = Person.get_or_none(Person.phone == WALK_IN)
    assert person is None or (person.name, person.consent_at) == (None, None), "nothing more is kept before consent"
    [ask] = outbox(WALK_IN, "walk_in_consent")
    assert ask.text == text("training.sms.walk_in_consent", **params(kopi))
    assert "Wati" not in ask.text, "the SMS carries no name"
    drain()
    assert outbox(WALK_IN, "walk_in_consent")[0].status == "sent"

    assert Phone(send_sms, WALK_IN).say("Ya") == text("training.sms.walk_in_yes", **params(kopi))
    person = Person.get(Person.phone == WALK_IN)
    assert (person.name, person.consent_version, person.language) == ("Wati", WALK_IN_CONSENT_VERSION, "id")
    assert person.consent_at is not None and WalkIn.get().name is None, "the name moved to the person's record"
    assert "datang tanpa daftar, setuju" in on_the_day.get("/console/trainings/KOPI1").get_data(as_text=True)
    assert Phone(send_sms, WALK_IN).say("YA") != text("training.sms.walk_in_yes", **params(kopi)), "answered once"

    with at(FOLLOWUP_30 - dt.timedelta(minutes=1)):
        settle(drain, runner)
        assert outbox(purpose="followup") == []
    with at(FOLLOWUP_30):
        settle(drain, runner)
        asked = outbox(purpose="followup")
        assert sorted(m.phone for m in asked) == [SIGNED, WALK_IN], "the follow-up reaches both"
        assert {m.text for m in asked} == {text("training.sms.followup30", **params(kopi))}
        assert {m.status for m in asked} == {"sent"}
        assert Phone(send_sms, WALK_IN).say("1") == text("followup.thanks")
    assert Enrollment.get(Enrollment.phone == WALK_IN).answer_30 == "applied"


def test_no_from_a_walk_in_erases_the_name_and_number_and_no_follow_up_goes(
    app, kopi, on_the_day, send_sms, drain, runner
):
    assert add_walk_in(on_the_day).status_code == 303
    assert Phone(send_sms, WALK_IN).say("tidak") == text("training.sms.walk_in_no", **params(kopi))
    assert Enrollment.select().where(Enrollment.phone == WALK_IN).count() == 0, "the number is off the roster"
    assert WalkIn.get().name is None and WalkIn.get().answer == "no"
    person = Person.get_or_none(Person.phone == WALK_IN)
    assert person is None or person.consent_at is None
    assert Training.measures()[kopi.id]["attended"] == 1, "the attendance still counts, as nobody's"
    roster = on_the_day.get("/console/trainings/KOPI1").get_data(as_text=True).split("<h2>Peserta")[1]
    assert "tidak setuju: nama dan nomor dihapus" in roster and "Wati" not in roster
    with at(FOLLOWUP_30):
        settle(drain, runner)
    assert outbox(purpose="followup") == []


def test_a_walk_in_who_never_answers_is_forgotten_when_the_follow_up_comes(app, kopi, on_the_day, drain, runner):
    assert add_walk_in(on_the_day).status_code == 303
    with at(FOLLOWUP_30):
        settle(drain, runner)
        assert outbox(purpose="followup") == [], "no consent, no follow-up"
    assert WalkIn.get().answer == "expired" and WalkIn.get().name is None
    assert Enrollment.select().where(Enrollment.phone == WALK_IN).count() == 0
    assert Training.measures()[kopi.id]["attended"] == 1


def test_a_walk_in_who_consented_before_is_marked_without_a_consent_sms(app, kopi, on_the_day, drain, runner):
    register(WALK_IN, name="Wati Lestari")
    assert add_walk_in(on_the_day, name="Wati").status_code == 303
    page = on_the_day.get("/console/trainings/KOPI1/attendance").get_data(as_text=True)
    assert "sudah pernah memberi persetujuan" in page
    assert outbox(WALK_IN, "walk_in_consent") == [] and WalkIn.select().count() == 0
    assert Person.get(Person.phone == WALK_IN).consent_version == CONSENT_VERSION, "their consent stays as it was"
    with at(FOLLOWUP_30):
        settle(drain, runner)
    assert [m.phone for m in outbox(purpose="followup")] == [WALK_IN], "SIGNED was not ticked: absent"


def test_adding_a_walk_in_twice_asks_once(app, kopi, on_the_day):
    add_walk_in(on_the_day)
    add_walk_in(on_the_day, phone="+6281234567402")
    assert len(outbox(WALK_IN, "walk_in_consent")) == 1 and WalkIn.select().count() == 1


def test_a_yes_in_javanese_records_javanese(app, kopi, on_the_day, send_sms):
    add_walk_in(on_the_day)
    assert Phone(send_sms, WALK_IN).say("Nggih") == text("training.sms.walk_in_yes", "jv", **params(kopi))
    assert Person.get(Person.phone == WALK_IN).language == "jv"


def test_ya_from_a_number_without_a_walk_in_goes_the_usual_way(app, kopi, on_the_day, send_sms):
    add_walk_in(on_the_day)
    assert Phone(send_sms, "+6281234567499").say("YA") != text("training.sms.walk_in_yes", **params(kopi))
    assert WalkIn.get().answer is None


@pytest.mark.parametrize(
    ("name", "phone", "says"),
    [
        ("Wati", "12345", "Nomor HP tidak dikenali"),
        ("Wati", "0812-ABC", "Nomor HP tidak dikenali"),
        ("Wati", "", "Nomor HP tidak dikenali"),
        ("W", "081234567402", "Tulis nama dengan huruf"),
        ("Wati 123", "081234567402", "Tulis nama dengan huruf"),
    ],
)
def test_a_bad_walk_in_gets_a_clear_error_and_changes_nothing(app, kopi, on_the_day, name, phone, says):
    response = add_walk_in(on_the_day, name=name, phone=phone)
    assert response.status_code == 400 and says in response.get_data(as_text=True)
    assert Enrollment.select().count() == 1 and WalkIn.select().count() == 0 and outbox(purpose="walk_in_consent") == []


def test_a_walk_in_before_the_day_is_refused(app, kopi):
    with at(ADDED + dt.timedelta(hours=1)):
        client = app.test_client()
        g.pop("csrf_token", None)
        sign_in(client, ORGANIZER)
        response = add_walk_in(client)
    assert response.status_code == 400 and "mulai hari pelatihan" in response.get_data(as_text=True)
    assert WalkIn.select().count() == 0 and outbox(purpose="walk_in_consent") == []


def test_the_consent_sms_waits_out_quiet_hours(app, kopi, drain):
    with at(dt.datetime(2026, 12, 10, 21, 30, tzinfo=JAKARTA)):
        client = app.test_client()
        g.pop("csrf_token", None)
        sign_in(client, ORGANIZER)
        assert add_walk_in(client).status_code == 303
        drain()
        [ask] = outbox(WALK_IN, "walk_in_consent")
        assert ask.status == "queued" and ask.next_attempt_at == to_utc(dt.datetime(2026, 12, 11, 6, 0))
    with database.atomic():
        assert Enrollment.get(Enrollment.phone == WALK_IN).status == "attended"


def test_hapus_from_a_walk_in_waiting_for_its_answer_erases_the_held_name_too(app, kopi, on_the_day, send_sms):
    add_walk_in(on_the_day)
    walk_in = Phone(send_sms, WALK_IN)
    assert walk_in.say("HAPUS") == text("rights.erase_confirm"), "the erasure's own question takes the YA"
    assert walk_in.say("YA") == text("rights.erased")
    assert WalkIn.select().count() == 0 and Enrollment.select().where(Enrollment.phone == WALK_IN).count() == 0
    assert walk_in.say("YA") != text("training.sms.walk_in_yes", **params(kopi))
