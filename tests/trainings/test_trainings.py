"""Training sign-up over USSD and SMS: the list, the detail, consent first for strangers, the waiting list and
its promotion, cancellation, "Pelatihan saya", replays; and attendance by staff SMS (HADIR)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import catalog
from menus.fitting import fits
from models import Enrollment, Person, Training, database
from models.person import TRAINING_CONSENT_VERSION
from models.settings import to_utc
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register
from tests.support.staff import ORGANIZER
from tests.support.texts import text

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
"""A Tuesday morning: no quiet hours."""
STARTS = dt.datetime(2026, 12, 10, 8, 0)
"""The coffee training's start, local time."""
WORKER, OTHER, THIRD = "+6281234567101", "+6281234567102", "+6281234567103"


@pytest.fixture(autouse=True)
def daytime():
    with time_machine.travel(NOW, tick=False):
        yield


def add_training(
    code: str = "KOPI1",
    capacity: int = 20,
    starts: dt.datetime = STARTS,
    title: str = "Budidaya kopi",
    place: str = "Balai Desa Tracap",
) -> Training:
    with database.atomic():
        return Training.add(code, title, "economic", to_utc(starts), place, capacity)


def params(training: Training) -> dict[str, str]:
    return {"code": training.code, "title": training.title, "date": training.starts_label, "place": training.place}


def signed(training: Training) -> str:
    return text(
        "training.signed",
        training_code=training.code,
        training_title=training.title,
        training_date=training.starts_label,
        training_place=training.place,
    )


def enrollment_status(phone: str, training: Training) -> str | None:
    found = Enrollment.get_or_none((Enrollment.phone == phone) & (Enrollment.training == training.id))
    return found.status if found else None


# USSD --------------------------------------------------------------------------------------------------------


def test_pelatihan_lists_upcoming_trainings_soonest_first_with_my_trainings_last(ussd, app):
    add_training("TERNAK1", starts=dt.datetime(2026, 12, 20, 9, 0), title="Ternak kambing")
    add_training("KOPI1")
    with database.atomic():
        past = add_training("LAMA1", starts=dt.datetime(2026, 12, 2, 8, 0))
        Training.update(status="cancelled").where(Training.id == past.id).execute()
    session = ussd(WORKER)
    session.dial()
    assert session.answer("3") == (
        "CON Pelatihan mendatang:\n1. KOPI1 Budidaya kopi 10/12\n"
        "2. TERNAK1 Ternak kambing 20/12\n3. Pelatihan saya\n0. Kembali"
    )


def test_no_trainings_says_so_and_offers_my_trainings_and_back(ussd, app):
    session = ussd(WORKER)
    session.dial()
    assert session.answer("3") == f"CON {text('training.none')}\n1. Pelatihan saya\n0. Kembali"
    assert (
        session.answer("1") == f"CON {text('training.mine')}\n{text('training.mine_empty')}\n0. Kembali\n00. Menu utama"
    )


def test_a_stranger_signs_up_by_ussd_after_consent_and_a_name_and_gets_a_confirmation_sms(ussd, app, drain):
    training = add_training(capacity=3)
    session = ussd(WORKER)
    session.dial()
    session.answer("3")
    detail = session.answer("1")
    assert detail == (
        "CON KOPI1 Budidaya kopi\n10/12 08:00, Balai Desa Tracap\nSisa 3 kursi\n1. Daftar\n0. Kembali\n00. Menu utama"
    )
    assert session.answer("1").startswith(f"CON {text('training.consent')}\n1. Ya, setuju\n2.")
    assert Person.get_or_none(Person.phone == WORKER) is None, "nothing is stored before consent"
    assert session.answer("1").startswith(f"CON {text('register.name')}")
    assert session.answer("Sri Lestari") == f"END {signed(training)}"
    person = Person.get(Person.phone == WORKER)
    assert (person.name, person.consent_version, person.status) == ("Sri Lestari", TRAINING_CONSENT_VERSION, None)
    assert enrollment_status(WORKER, training) == "signed_up"
    [confirmation] = outbox(WORKER, "confirmation")
    assert confirmation.text == text("training.sms.confirmed", **params(training))
    drain()
    confirmation = outbox(WORKER, "confirmation")[0]
    assert confirmation.status == "sent"


def test_a_replayed_final_step_signs_up_once_and_confirms_once(ussd, app):
    training = add_training()
    register(WORKER, country="hongkong")
    session = ussd(WORKER)
    session.dial()
    assert session.answer("3", "1", "1") == f"END {signed(training)}"
    replay = session.post("3*1*1").get_data(as_text=True)
    assert replay == "END " + text(
        "training.already", training_code="KOPI1", training_date="10/12 08:00", training_place="Balai Desa Tracap"
    )
    assert Enrollment.select().count() == 1 and len(outbox(WORKER, "confirmation")) == 1


def test_declining_consent_stores_nothing(ussd, app):
    add_training()
    session = ussd(WORKER)
    session.dial()
    assert session.answer("3", "1", "1", "2") == f"END {text('training.declined')}"
    assert Person.select().count() == 0 and Enrollment.select().count() == 0


def test_a_full_training_offers_the_waiting_list_and_a_cancellation_promotes_the_first_in_line(ussd, app, send_sms):
    training = add_training(capacity=1)
    for phone in (WORKER, OTHER, THIRD):
        register(phone, country="hongkong")
    assert Phone(send_sms, WORKER).say("LATIH KOPI1") == signed(training)
    session = ussd(OTHER)
    session.dial()
    session.answer("3")
    assert "Penuh, bisa antre" in session.answer("1")
    assert session.answer("1") == "END " + text("training.waitlisted", training_code="KOPI1")
    [waiting] = outbox(OTHER, "confirmation")
    assert waiting.text == text("training.sms.waitlisted", **params(training))
    Phone(send_sms, THIRD).say("LATIH KOPI1")
    assert [enrollment_status(p, training) for p in (WORKER, OTHER, THIRD)] == ["signed_up", "waitlisted", "waitlisted"]

    assert Phone(send_sms, WORKER).say("batal kopi-1") == text("training.sms.withdrawn", **params(training))
    assert [enrollment_status(p, training) for p in (WORKER, OTHER, THIRD)] == ["cancelled", "signed_up", "waitlisted"]
    [news] = outbox(OTHER, "training_news")
    assert news.text == text("training.sms.promoted", **params(training))
    assert outbox(THIRD, "training_news") == []


def test_my_trainings_lists_mine_and_cancels_one(ussd, app, send_sms):
    training = add_training(capacity=1)
    register(WORKER, country="hongkong")
    register(OTHER, country="hongkong")
    Phone(send_sms, OTHER).say("LATIH KOPI1")
    Phone(send_sms, WORKER).say("LATIH KOPI1")
    session = ussd(WORKER)
    session.dial()
    assert session.answer("3", "2") == (
        f"CON {text('training.mine')}\n1. KOPI1 10/12 antre\n0. Kembali\n00. Menu utama"
    )
    assert session.answer("1").startswith("CON KOPI1 Budidaya kopi\n10/12 08:00 di Balai Desa Tracap\n1. Batalkan")
    assert session.answer("1") == "END " + text("training.withdrawn", training_code="KOPI1")
    assert enrollment_status(WORKER, training) == "cancelled"


# SMS ---------------------------------------------------------------------------------------------------------


def test_latih_lists_upcoming_trainings_with_their_codes(send_sms, app):
    phone = Phone(send_sms, WORKER)
    assert phone.say("LATIH") == text("training.sms.none")
    add_training("KOPI1")
    add_training("AMAN1", title="Migrasi aman", starts=dt.datetime(2026, 12, 12, 9, 0))
    assert phone.say("latih") == text(
        "training.sms.list", training_list=("KOPI1 Budidaya kopi 10/12 08:00; AMAN1 Migrasi aman 12/12 09:00")
    )


def test_latih_code_from_a_stranger_asks_consent_and_a_name_then_signs_up(send_sms, app):
    training = add_training()
    phone = Phone(send_sms, WORKER)
    assert phone.say("LATIH kopi1").startswith(text("training.consent"))
    assert phone.say("1").startswith(text("register.name"))
    assert phone.say("Budi") == signed(training)
    assert enrollment_status(WORKER, training) == "signed_up"
    assert phone.say("LATIH KOPI1") == text(
        "training.already", training_code="KOPI1", training_date="10/12 08:00", training_place="Balai Desa Tracap"
    )
    assert Enrollment.select().count() == 1


def test_latih_with_an_unknown_code_asks_again_and_a_replayed_sms_changes_nothing(send_sms, app):
    training = add_training()
    register(WORKER, country="hongkong")
    phone = Phone(send_sms, WORKER)
    assert phone.say("LATIH KOPI9") == text("error.training_code")
    assert phone.say("KOPI1", id="sms-replayed") == signed(training)
    response = send_sms(WORKER, "KOPI1", id="sms-replayed")
    assert response.get_json()["status"] == "duplicate"
    assert Enrollment.select().count() == 1 and len(outbox(WORKER, "reply")) == 2


def test_batal_without_a_code_lists_my_codes_and_batal_of_a_training_i_am_not_in_says_so(send_sms, app):
    add_training()
    register(WORKER, country="hongkong")
    phone = Phone(send_sms, WORKER)
    phone.say("LATIH KOPI1")
    assert phone.say("BATAL") == text("training.sms.batal_help", codes="KOPI1")
    assert Phone(send_sms, OTHER).say("BATAL KOPI1") == text("training.sms.withdraw_none", code="KOPI1")


def test_a_training_that_started_takes_no_sign_up(send_sms, app):
    training = add_training()
    register(WORKER, country="hongkong")
    with time_machine.travel(dt.datetime(2026, 12, 10, 9, 0, tzinfo=JAKARTA), tick=False):
        assert Phone(send_sms, WORKER).say("LATIH KOPI1") == text("error.training_code")
        assert Phone(send_sms, WORKER).say("BATAL KOPI1") == text("training.sms.closed", **params(training))
    assert Enrollment.select().count() == 0


def test_a_worker_abroad_signs_up_by_sms_and_gets_the_reply(send_sms, app):
    add_training()
    abroad = "+85291234567"
    register(abroad, country="hongkong")
    assert Phone(send_sms, abroad).say("LATIH KOPI1").startswith("Terdaftar: KOPI1")


# Attendance --------------------------------------------------------------------------------------------------


@pytest.fixture
def cohort(send_sms, case_staff):
    """KOPI1 with three signed up (WORKER, OTHER, THIRD); then the clock moves to the training's morning."""
    training = add_training()
    for phone in (WORKER, OTHER, THIRD):
        register(phone, country="hongkong")
        Phone(send_sms, phone).say("LATIH KOPI1")
    with time_machine.travel(dt.datetime(2026, 12, 10, 9, 30, tzinfo=JAKARTA), tick=False):
        yield training


def test_attendance_before_the_training_day_is_refused_and_changes_nothing(send_sms, case_staff):
    training = add_training()
    register(WORKER, country="hongkong")
    Phone(send_sms, WORKER).say("LATIH KOPI1")
    reply = Phone(send_sms, ORGANIZER).say("HADIR KOPI1 081234567101")
    assert reply == text("training.staff.too_early", code="KOPI1", date="10/12 08:00")
    assert enrollment_status(WORKER, training) == "signed_up" and Training.get_by_id(training.id).status == "planned"


def test_hadir_marks_attendance_in_any_number_form_and_names_who_was_not_signed_up(send_sms, cohort):
    organiser = Phone(send_sms, ORGANIZER)
    reply = organiser.say("HADIR kopi-1 081234567101, +6281234567102 6281299999999 abc")
    assert reply == text(
        "training.staff.marked", code="KOPI1", count="2", marked="...7101, ...7102", others="...9999, abc"
    )
    assert [enrollment_status(p, cohort) for p in (WORKER, OTHER, THIRD)] == ["attended", "attended", "absent"]
    assert Training.get_by_id(cohort.id).status == "held"
    assert organiser.say("HADIR KOPI1 081234567103") == text(
        "training.staff.marked", code="KOPI1", count="1", marked="...7103", others="-"
    )
    assert enrollment_status(THIRD, cohort) == "attended"


def test_hadir_with_an_unknown_code_or_no_numbers_explains_the_format(send_sms, cohort):
    organiser = Phone(send_sms, ORGANIZER)
    assert organiser.say("HADIR KOPI9 081234567101") == text("training.staff.unknown", code="KOPI9")
    assert organiser.say("HADIR KOPI1") == text("training.staff.usage", code="KOPI1")
    assert Enrollment.select().where(Enrollment.status == "attended").count() == 0


def test_hadir_from_a_worker_is_not_available_and_changes_nothing(send_sms, cohort):
    assert Phone(send_sms, WORKER).say("HADIR KOPI1 081234567101") == text("staff.only")
    assert enrollment_status(WORKER, cohort) == "signed_up"
    unknown_start = catalog.raw_text("sms.unknown", "id").split("{")[0]
    assert Phone(send_sms, WORKER).say("Hadir pak").startswith(unknown_start), "a worker's words, not a command"


def test_a_long_hadir_is_answered_within_two_segments_listing_the_strangers_first(send_sms, cohort):
    strangers = " ".join(f"0813000000{n:02d}" for n in range(30))
    reply = Phone(send_sms, ORGANIZER).say(f"HADIR KOPI1 081234567101 081234567102 {strangers}")
    assert fits(reply), reply
    assert reply.startswith("HADIR KOPI1: 2 orang dicatat (")
    assert "nomor: ...0000, ...0001" in reply and reply.endswith(", ...")
    assert [enrollment_status(p, cohort) for p in (WORKER, OTHER)] == ["attended", "attended"]


def test_more_seats_promote_the_waiting_list_and_fewer_than_the_signed_up_is_refused(send_sms, runner, app):
    training = add_training(capacity=1)
    for phone in (WORKER, OTHER, THIRD):
        register(phone, country="hongkong")
        Phone(send_sms, phone).say("LATIH KOPI1")
    result = runner.invoke(args=["training", "move", "--code", "KOPI1", "--capacity", "2"])
    assert result.exit_code == 0, result.output
    assert [enrollment_status(p, training) for p in (WORKER, OTHER, THIRD)] == ["signed_up", "signed_up", "waitlisted"]
    assert [m.text for m in outbox(OTHER, "training_news")] == [text("training.sms.promoted", **params(training))]
    result = runner.invoke(args=["training", "move", "--code", "KOPI1", "--capacity", "1"])
    assert result.exit_code != 0 and "capacity 1 is below the 2 people already signed up" in result.output
    assert Training.get_by_id(training.id).capacity == 2
