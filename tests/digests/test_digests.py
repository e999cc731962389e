"""Digests: a scripted week (registrations in two villages, cases in every status, one overdue, a training
with follow-ups), every figure of every scope, the texts' budget and privacy, and one digest per recipient and
period whoever sends it, however often. Time moves with time-machine."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus import catalog
from menus.features.digests.texts import DIGEST_SEGMENTS
from models import (
    Case,
    DigestDelivery,
    Enrollment,
    Message,
    Person,
    Staff,
    Training,
    database,
)
from models.case_referral import refer
from models.case_terms import Report
from models.digest_figures import ALL, compute
from models.digest_period import last_complete
from models.gsm import is_gsm7_basic, sms_size
from models.settings import to_utc
from tests.support.outbox import outbox
from tests.support.registration import register
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from workers.cron import build_scheduler

JAKARTA = ZoneInfo("Asia/Jakarta")
HEAD = "+6281200000021"
"""Tracap's village head (an official with a village)."""
MONDAY = dt.datetime(2026, 11, 23, 7, 0, tzinfo=JAKARTA)
"""When last week's digest (16-22 November) is due."""
REPORTERS = {"Tracap": "+6281234567301", "Lamuk": "+6281234567302"}
NEW_PEOPLE = [
    ("+6281234567311", "Tracap", "calon"),
    ("+6281234567312", "Tracap", "purna"),
    ("+6281234567313", "Lamuk", "aktif"),
]
STORY = "Majikan memukul saya setiap malam"


def local(day: int, hour: int = 10, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=JAKARTA)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def open_case(village: str, category: str, key: str) -> Case:
    report = Report(
        reporter_phone=REPORTERS[village],
        for_whom="self",
        category=category,
        country="hongkong",
        safe_to_contact=True,
        safe_phone=None,
        story=STORY,
        consent_to_refer=True,
        channel="sms",
        source_key=key,
    )
    with database.atomic():
        return Case.open(report)[0]


@pytest.fixture
def week(app, case_staff):
    """16-22 November 2026, scripted; returns the cases by name."""
    Staff.create(phone=HEAD, name="Pak Kades Tracap", role="official", village="Tracap")
    with at(local(1)):
        for village, phone in REPORTERS.items():
            register(phone, village=village, status="aktif")
        register("+6281234567319", village="Tracap", status="calon")  # before the week: not counted
    with at(local(12)):
        earlier = open_case("Lamuk", "wages", "earlier")  # opened before the week, resolved in it
    cases = {}
    for day, (phone, village, status) in zip((16, 17, 18), NEW_PEOPLE):
        with at(local(day)):
            register(phone, village=village, status=status)
    organiser, other, official = (Staff.get(Staff.phone == p) for p in (ORGANIZER, ORGANIZER_OTHER, OFFICIAL))
    with at(local(17)):
        cases["overdue"] = open_case("Tracap", "wages", "overdue")
        cases["taken"] = open_case("Tracap", "violence", "taken")
        cases["referred"] = open_case("Lamuk", "documents", "referred")
        cases["resolved"] = open_case("Tracap", "deceived", "resolved")
    with at(local(18)), database.atomic():
        cases["taken"].acknowledge(organiser)
        cases["referred"].acknowledge(other)
        refer(cases["referred"], other, official)
        cases["resolved"].acknowledge(organiser)
        cases["resolved"].resolve(organiser, "sudah pulang")
        earlier.acknowledge(other)
        earlier.resolve(other)
    with at(local(1)), database.atomic():
        training = Training.add(
            "KOPI1", "Budidaya kopi", "economic", to_utc(dt.datetime(2026, 11, 19, 8)), "Balai Desa Tracap", 10
        )
        for phone in (REPORTERS["Tracap"], REPORTERS["Lamuk"], NEW_PEOPLE[0][0]):
            training.sign_up(phone)
    with at(local(1, month=10)), database.atomic():
        earlier_training = Training.add(
            "TERNAK1", "Ternak", "economic", to_utc(dt.datetime(2026, 10, 10, 8)), "Balai Desa Lamuk", 10
        )
        for phone in (REPORTERS["Tracap"], REPORTERS["Lamuk"]):
            earlier_training.sign_up(phone)
    with at(local(10, month=10)), database.atomic():
        earlier_training.mark_attended(list(REPORTERS.values()))
    with at(local(19)), database.atomic():
        training.mark_attended([REPORTERS["Tracap"], REPORTERS["Lamuk"]])
    with at(local(20)):  # answers to TERNAK1's 30-day follow-up, in the week
        for village, answer in (("Tracap", "applied"), ("Lamuk", "help")):
            enrollment = Enrollment.get(
                (Enrollment.phone == REPORTERS[village]) & (Enrollment.training == earlier_training.id)
            )
            enrollment.answer(30, answer)
    return cases


def test_every_figure_of_every_scope(week):
    with at(MONDAY):
        period = last_complete("week", dt.datetime.utcnow())
        assert (period.first, period.last, period.label) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22), "16-22/11")
        scopes = compute(period, ["Tracap", "Lamuk"], dt.datetime.utcnow())
    area, tracap, lamuk = scopes[ALL], scopes["Tracap"], scopes["Lamuk"]
    assert area.registrations_by_status == {"calon": 1, "aktif": 1, "purna": 1}
    assert tracap.registrations_by_status == {"calon": 1, "purna": 1}
    assert lamuk.registrations_by_status == {"aktif": 1}
    assert area.reports_by_category == {"wages": 1, "documents": 1, "violence": 1, "deceived": 1}
    assert (area.urgent, tracap.reports, tracap.urgent, lamuk.reports) == (1, 3, 1, 1)
    assert (area.open, area.overdue, area.referred_waiting, area.resolved) == (3, 1, 1, 2)
    assert (tracap.open, tracap.overdue, tracap.referred_waiting, tracap.resolved) == (2, 1, 0, 1)
    assert (lamuk.open, lamuk.overdue, lamuk.referred_waiting, lamuk.resolved) == (1, 0, 1, 1)
    assert (area.trainings_held, area.attended, area.applied, area.answered) == (1, 2, 1, 2)
    assert (tracap.trainings_held, tracap.attended, tracap.applied, tracap.answered) == (1, 1, 1, 1)
    assert (lamuk.trainings_held, lamuk.attended, lamuk.applied, lamuk.answered) == (1, 1, 0, 1)


def test_each_recipient_gets_their_scope_in_their_language_within_three_gsm_segments(week, runner, drain):
    Staff.update(language="en").where(Staff.phone == COORDINATOR).execute()
    with at(MONDAY):
        result = runner.invoke(args=["digest", "send"])
        assert result.exit_code == 0, result.output
        drain()
    texts = {m.phone: m.text for m in outbox(purpose="digest")}
    assert set(texts) == {OFFICIAL, HEAD, COORDINATOR}, "organisers get no digest"
    assert texts[OFFICIAL] == (
        "KawalMigran minggu 16-22/11 (semua desa): Daftar baru 3 (Calon PMI 1, PMI aktif 1, Purna PMI 1). "
        "Laporan 4, mendesak 1 (Gaji 1, Dokumen ditahan 1, Kekerasan 1, Ditipu/utang 1). "
        "Kasus terbuka 3, telat 1, diteruskan 1, selesai 2. Pelatihan 1, hadir 2, sudah menerapkan 1 dari 2 jawaban."
    )
    assert texts[HEAD].startswith("KawalMigran minggu 16-22/11 (Tracap): Daftar baru 2 (Calon PMI 1, Purna PMI 1).")
    assert "Kasus terbuka 2, telat 1, diteruskan 0, selesai 1." in texts[HEAD]
    assert texts[COORDINATOR].startswith("KawalMigran week 16-22/11 (all villages): New registrations 3")
    assert texts[COORDINATOR].endswith("Waiting: Ani 1, Siti 1.")
    for text in texts.values():
        assert is_gsm7_basic(text) and sms_size(text).segments <= DIGEST_SEGMENTS, text
    assert all(m.status == "sent" for m in outbox(purpose="digest"))


def test_no_personal_data_in_any_digest(week, runner, drain):
    with at(MONDAY):
        runner.invoke(args=["digest", "send"])
    codes = [case.code for case in Case.select()] + [case.display_code for case in Case.select()]
    people = [p.phone for p in Person.select()] + [p.phone[1:] for p in Person.select()] + ["Sri", "Lestari"]
    for message in outbox(purpose="digest"):
        for secret in [STORY, "memukul", "sudah pulang", *codes, *people]:
            assert secret not in message.text, secret


def test_a_dry_run_prints_every_text_and_sends_nothing(week, runner):
    with at(MONDAY):
        result = runner.invoke(args=["digest", "send", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "KawalMigran minggu 16-22/11 (Tracap):" in result.output and "(semua desa)" in result.output
    assert "dry run: 3 digests" in result.output
    assert Message.select().where(Message.purpose == "digest").count() == 0
    assert DigestDelivery.select().count() == 0


def test_one_digest_per_recipient_and_period_when_the_command_and_the_cron_both_run_twice(week, app, runner, drain):
    with at(MONDAY):
        scheduler = build_scheduler(app.extensions["redis"], "Asia/Jakarta")
        scheduler.enqueue_jobs()
        assert runner.invoke(args=["digest", "send"]).exit_code == 0
        assert runner.invoke(args=["digest", "send"]).exit_code == 0
        drain()
        assert runner.invoke(args=["sweep"]).exit_code == 0
        drain()
    assert sorted(m.phone for m in outbox(purpose="digest")) == sorted([OFFICIAL, HEAD, COORDINATOR])
    with at(MONDAY + dt.timedelta(days=1)):
        assert runner.invoke(args=["digest", "send"]).exit_code == 0
    assert len(outbox(purpose="digest")) == 3


def test_a_run_that_died_after_some_recipients_is_finished_by_the_next_none_twice(week, runner, drain):
    with at(MONDAY):
        runner.invoke(args=["digest", "send"])
        head_row = DigestDelivery.get(DigestDelivery.phone == HEAD)
        with database.atomic():  # what a worker killed before HEAD's transaction committed leaves
            Message.delete().where(Message.id == head_row.message_id).execute()
            head_row.delete_instance()
        result = runner.invoke(args=["digest", "send"])
        assert "1 digests written now" in result.output
        drain()
    assert sorted(m.phone for m in outbox(purpose="digest")) == sorted([OFFICIAL, HEAD, COORDINATOR])


def test_a_missed_cron_is_made_up_by_the_sweep_after_seven_and_not_before(week, runner, drain):
    with at(MONDAY - dt.timedelta(minutes=1)):
        assert runner.invoke(args=["sweep"]).exit_code == 0
        drain()
        assert outbox(purpose="digest") == []
    with at(MONDAY + dt.timedelta(hours=2)):
        assert runner.invoke(args=["sweep"]).exit_code == 0
        drain()
        assert runner.invoke(args=["sweep"]).exit_code == 0
        drain()
    assert sorted(m.phone for m in outbox(purpose="digest")) == sorted([OFFICIAL, HEAD, COORDINATOR])
    with at(MONDAY + dt.timedelta(days=3)):
        DigestDelivery.delete().execute()
        assert runner.invoke(args=["sweep"]).exit_code == 0
        drain()
    assert len(outbox(purpose="digest")) == 3, "three days late, a missed digest is stale: not sent"


def test_a_digest_sent_at_night_waits_for_the_morning(week, runner, drain):
    with at(local(23, 22)):
        runner.invoke(args=["digest", "send"])
        drain()
    assert {m.status for m in outbox(purpose="digest")} == {"queued"}
    assert {m.next_attempt_at for m in outbox(purpose="digest")} == {to_utc(dt.datetime(2026, 11, 24, 6, 0))}


def test_an_empty_period_says_so_in_one_line(app, case_staff, runner):
    with at(MONDAY):
        runner.invoke(args=["digest", "send"])
    texts = {m.phone: m.text for m in outbox(purpose="digest")}
    assert texts[OFFICIAL] == "KawalMigran minggu 16-22/11 (semua desa): " + catalog.text("digest.empty", "id")


def test_a_month_digest_covers_the_last_calendar_month(week, runner):
    with at(dt.datetime(2026, 12, 1, 7, 0, tzinfo=JAKARTA)):
        assert runner.invoke(args=["digest", "send", "--period", "month"]).exit_code == 0
    official = [m.text for m in outbox(OFFICIAL, "digest")]
    assert official == [official[0]] and official[0].startswith("KawalMigran bulan 11/2026 (semua desa): Daftar baru 6")


def test_export_digest_has_the_same_numbers_as_the_texts(week, runner):
    with at(MONDAY):
        result = runner.invoke(args=["export", "digest", "--period", "week"])
        assert result.exit_code == 0, result.output
        records = json.loads(result.stdout)
        csv_out = runner.invoke(args=["export", "digest", "--format", "csv"]).stdout
    assert records[0] == {
        "scope": "all",
        "period_start": "2026-11-16",
        "period_end": "2026-11-22",
        "registrations": 3,
        "reports": 4,
        "urgent": 1,
        "open": 3,
        "overdue": 1,
        "referred_waiting": 1,
        "resolved": 2,
        "trainings_held": 1,
        "attended": 2,
        "applied": 1,
        "cadres_new": 0,
        "cadres_active": 0,
        "cadre_cases": 0,
        "cadre_visits": 0,
        "cadre_first_action_hours": None,
    }
    assert [r["scope"] for r in records] == ["all", "Tracap"], "the area, and each village with a village head"
    assert csv_out.splitlines()[0] == (
        "scope,period_start,period_end,registrations,reports,urgent,open,overdue,"
        "referred_waiting,resolved,trainings_held,attended,applied,"
        "cadres_new,cadres_active,cadre_cases,cadre_visits,cadre_first_action_hours"
    )
    assert csv_out.splitlines()[1] == "all,2026-11-16,2026-11-22,3,4,1,3,1,1,2,1,2,1,0,0,0,0,"
