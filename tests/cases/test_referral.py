"""Referral: RUJUK names the agency (the regency labour office by default) and reaches that agency's official,
never another village's head; what the official does (TERIMA, CATAT, SELESAI) is passed back to the case's
holder; a referral nobody takes in REFERRAL_ACK_DAYS reminds the official once and tells the coordinators, on
time by its job or late by the sweep when Redis lost the job. `staff add --agency` and its rules."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine

from menus.features.cases.referral import remind_referral, reminder_job_id
from menus.features.cases.referral_texts import official_label
from models import Case, CaseEvent, Staff
from models.case_terms import Report
from models.gsm import sms_size
from models.settings import SETTINGS
from service.config import ConfigError, load_config
from tests.support.clock import stored
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from tests.support.villages import seed_villages
from workers.queues import job_is_live

JAKARTA = ZoneInfo("Asia/Jakarta")
REFERRED = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
"""A Monday morning: the reminder (three days on, Thursday 10:00) falls in the day, not in quiet hours."""
DUE = REFERRED + dt.timedelta(days=3)

REPORTER = "+6281234567061"
BP3MI, POLISI, VILLAGE_HEAD = "+6281200000021", "+6281200000022", "+6281200000004"
CODE = "K7M3QX"
_sources = itertools.count(1)


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(REFERRED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(case_staff):
    """The case staff (OFFICIAL is disnaker's: stored without an agency), a BP3MI official and Tracap's head."""
    Staff.create(phone=BP3MI, name="Bu Rina", role="official", agency="bp3mi")
    Staff.create(phone=VILLAGE_HEAD, name="Ahmad Kepala Desa", role="official", village="Tracap")


@pytest.fixture
def phones(send_sms):
    return {
        number: Phone(send_sms, number)
        for number in (ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL, BP3MI, POLISI, VILLAGE_HEAD)
    }


def open_case(village: str | None = "Tracap", code: str | None = None) -> Case:
    """A case opened directly (no alerts), from a reporter of `village`, safe to contact, consent to refer."""
    case, _ = Case.open(
        Report(
            reporter_phone=REPORTER,
            for_whom="self",
            category="wages",
            country="hongkong",
            safe_to_contact=True,
            safe_phone=None,
            story="Gaji tiga bulan belum dibayar",
            consent_to_refer=True,
            channel="sms",
            source_key=f"referral-{next(_sources)}",
        )
    )
    Case.update(village=village, code=code or case.code).where(Case.id == case.id).execute()
    return Case.get_by_id(case.id)


def fresh(case: Case) -> Case:
    return Case.get_by_id(case.id)


def texts(phone: str, purpose: str) -> list[str]:
    return [m.text for m in outbox(phone, purpose)]


def label(phone: str) -> str:
    return official_label(Staff.get(Staff.phone == phone), "id")


def refer(phones, case: Case, agency: str = "BP3MI") -> None:
    """The organiser takes the case and refers it to `agency`."""
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    phones[ORGANIZER].say(f"RUJUK {case.code} {agency}")
    assert fresh(case).status == "referred"


# Who a case is referred to ----------------------------------------------------------------------------------


def test_rujuk_with_an_agency_reaches_that_agencys_official_not_the_labour_office(staff, phones):
    case = open_case(code=CODE)
    assert phones[ORGANIZER].say("RUJUK K7M3QX BP3MI") == text("case.refer.done", code="K7M-3QX", name="Bu Rina")
    case = fresh(case)
    assert (case.status, case.referred_to, case.referred_agency) == ("referred", BP3MI, "bp3mi")
    assert case.referral_due_at == stored(DUE)
    [summary] = texts(BP3MI, "alert")
    assert "K7M-3QX" in summary and REPORTER in summary, "referred with consent: the official may call"
    assert outbox(OFFICIAL) == [] and outbox(VILLAGE_HEAD) == []
    referred = case.events.where(CaseEvent.kind == "referred").get()
    assert (referred.actor, referred.note) == (ORGANIZER, "bp3mi")


@pytest.mark.parametrize("typed", ["", "disnaker", "Disnakertrans"])
def test_rujuk_without_an_agency_goes_to_the_labour_office(staff, phones, typed):
    case = open_case()
    assert phones[ORGANIZER].say(f"RUJUK {case.code} {typed}".strip()) == text(
        "case.refer.done", code=case.display_code, name="Pak Disnaker"
    )
    assert (fresh(case).referred_to, fresh(case).referred_agency) == (OFFICIAL, "disnaker")
    assert texts(OFFICIAL, "alert") and outbox(BP3MI) == [] and outbox(VILLAGE_HEAD) == []


def test_an_agency_with_no_official_is_refused_and_the_organiser_told(staff, phones):
    case = open_case()
    assert phones[ORGANIZER].say(f"rujuk {case.code.lower()} polisi") == text(
        "case.refer.no_agency_official", code=case.display_code, agency=text("case.agency.polisi")
    )
    case = fresh(case)
    assert (case.status, case.referred_to, case.referred_agency, case.referral_due_at) == ("new", None, None, None)
    assert case.events.count() == 1 and outbox(purpose="alert") == []


def test_an_unknown_agency_word_gets_the_choices_and_changes_nothing(staff, phones):
    case = open_case()
    assert phones[ORGANIZER].say(f"RUJUK {case.code} BPJS") == text(
        "case.refer.unknown_agency", code=case.display_code, agency="BPJS"
    )
    assert fresh(case).status == "new" and outbox(purpose="alert") == []


def test_without_the_labour_office_only_the_cases_own_village_head_may_take_it(staff, phones):
    Staff.update(active=False).where(Staff.phone == OFFICIAL).execute()
    other_village, no_village, tracap = open_case("Lamuk"), open_case(None), open_case("Tracap")
    for case in (other_village, no_village):
        assert phones[ORGANIZER].say(f"RUJUK {case.code}") == text("case.refer.no_official", code=case.display_code)
        assert fresh(case).status == "new"
    assert outbox(VILLAGE_HEAD) == [], "never another village's head"
    assert phones[ORGANIZER].say(f"RUJUK {tracap.code} DISNAKER") == text(
        "case.refer.no_agency_official", code=tracap.display_code, agency=text("case.agency.disnaker")
    ), "a named agency is that agency's, never the village head"
    assert phones[ORGANIZER].say(f"RUJUK {tracap.code}") == text(
        "case.refer.done", code=tracap.display_code, name="Ahmad Kepala Desa"
    )
    assert (fresh(tracap).referred_to, fresh(tracap).referred_agency) == (VILLAGE_HEAD, None)
    assert len(texts(VILLAGE_HEAD, "alert")) == 1


# What the official does, passed back to the holder ----------------------------------------------------------


def test_the_officials_terima_catat_and_selesai_reach_the_cases_holder(staff, phones, drain, use_africastalking):
    case = open_case()
    refer(phones, case)
    code, category = case.display_code, text("case.category_short.wages")

    assert phones[BP3MI].say(f"TERIMA {case.code}") == text("case.referral.accepted", code=code)
    assert phones[BP3MI].say(f"terima {code}") == text("case.referral.accepted", code=code), "again: no change"
    assert fresh(case).referral_due_at is None, "taken: nothing to remind"
    assert phones[BP3MI].say(f"CATAT {case.code} Majikan sudah dihubungi") == text("case.referral.note_done", code=code)
    assert phones[BP3MI].say(f"SELESAI {case.code} Gaji sudah dibayar") == text("case.referral.resolved", code=code)
    drain()

    official = label(BP3MI)
    assert texts(ORGANIZER, "referral_news") == [
        text("case.referral.taken_by", official=official, code=code, category=category),
        text(
            "case.referral.note_by",
            official=official,
            code=code,
            category=category,
            details=" " + text("case.referral.note_part", official_note="Majikan sudah dihubungi"),
        ),
        text(
            "case.referral.resolved_by",
            official=official,
            code=code,
            category=category,
            details=" " + text("case.referral.note_part", official_note="Gaji sudah dibayar"),
        ),
    ]
    assert official == "Bu Rina (BP3MI)"
    delivered = [r.form["message"] for r in use_africastalking.requests if r.form["to"] == ORGANIZER]
    assert texts(ORGANIZER, "referral_news")[-1] in delivered
    assert outbox(ORGANIZER_OTHER, "referral_news") == [] and outbox(COORDINATOR, "referral_news") == [], "the holder"
    assert texts(REPORTER, "case_news")[-1] == text("case.news.resolved", code=code)

    case = fresh(case)
    assert (case.status, case.assignee) == ("resolved", ORGANIZER)
    events = [(e.kind, e.actor, e.note) for e in case.events.order_by(CaseEvent.id)][-3:]
    assert events == [
        ("referral_accepted", BP3MI, None),
        ("note", BP3MI, "Majikan sudah dihubungi"),
        ("resolved", BP3MI, "Gaji sudah dibayar"),
    ]


def test_an_official_acts_only_on_cases_referred_to_them(staff, phones):
    mine, not_referred = open_case(), open_case()
    refer(phones, mine)
    for sender, case in ((OFFICIAL, mine), (BP3MI, not_referred)):
        for body in ("TERIMA {code}", "CATAT {code} sudah ditelepon", "SELESAI {code}"):
            assert phones[sender].say(body.format(code=case.code)) == text(
                "case.error.not_yours", code=case.display_code
            )
    assert fresh(mine).status == "referred" and fresh(not_referred).status == "new"
    assert outbox(purpose="referral_news") == []
    assert phones[BP3MI].say(f"CATAT {mine.code}") == text("case.error.note_empty", code=mine.display_code)


def test_a_long_note_is_cut_to_keep_the_holders_sms_in_two_segments(staff, phones):
    case = open_case()
    refer(phones, case)
    note = "Sudah kami hubungi majikan dan agensi di Hong Kong, " * 10
    phones[BP3MI].say(f"CATAT {case.code} {note}")
    [passed] = texts(ORGANIZER, "referral_news")
    assert sms_size(passed).segments <= 2 and passed.endswith("...") and "majikan dan agensi" in passed
    kept = fresh(case).events.where(CaseEvent.kind == "note").get().note
    carried = passed.split(": ", 1)[1].removesuffix("...")
    assert note.startswith(kept) and len(kept) > len(carried), "the timeline keeps more than the SMS carries"


# The reminder of a referral nobody took ---------------------------------------------------------------------


def settle(drain, runner) -> None:
    """What a running system does every minute: the worker runs due jobs, the sweep fires what Redis lost."""
    drain()
    assert runner.invoke(args=["sweep"]).exit_code == 0
    drain()


def reminded() -> tuple[list[str], list[str]]:
    """Who got the reminder, and who was told that the referral waits (by phone, one entry per SMS)."""
    rows = outbox(purpose="referral_reminder")
    reminder = text("case.referral.reminder").split("{")[0].split(":")[0]
    return (
        sorted(m.phone for m in rows if m.text.startswith(reminder)),
        sorted(m.phone for m in rows if not m.text.startswith(reminder)),
    )


def test_a_referral_nobody_takes_reminds_the_official_once_at_day_three(staff, phones, drain, runner, daytime):
    case = open_case()
    refer(phones, case)
    drain()
    assert job_is_live(reminder_job_id(case.id))

    daytime.move_to(DUE - dt.timedelta(minutes=1))
    settle(drain, runner)
    assert reminded() == ([], []), "nothing the minute before"

    daytime.move_to(DUE)
    drain()
    assert reminded() == ([BP3MI], [COORDINATOR])
    [reminder] = texts(BP3MI, "referral_reminder")
    assert reminder == text(
        "case.referral.reminder",
        urgent="",
        code=case.display_code,
        category=text("case.category_short.wages"),
        country=text("country.hongkong"),
        days="3",
    )
    [told] = texts(COORDINATOR, "referral_reminder")
    assert told == text(
        "case.referral.overdue",
        code=case.display_code,
        category=text("case.category_short.wages"),
        official=label(BP3MI),
        days="3",
        name="Siti Pengurus",
    )

    for later in (DUE + dt.timedelta(minutes=1), DUE + dt.timedelta(days=4)):
        daytime.move_to(later)
        settle(drain, runner)
        assert remind_referral(case.id) == "skipped"
    assert reminded() == ([BP3MI], [COORDINATOR]), "once"
    case = fresh(case)
    assert (case.status, case.referral_due_at, case.referral_reminded_at) == ("referred", None, stored(DUE))
    assert case.events.where(CaseEvent.kind == "referral_reminded").count() == 1


def test_the_sweep_fires_a_reminder_whose_job_redis_lost(app, staff, phones, drain, runner, daytime):
    case = open_case()
    refer(phones, case)
    app.extensions["redis"].flushdb()  # a Redis restart: the scheduled reminder is gone
    daytime.move_to(DUE + dt.timedelta(hours=2))
    drain()
    assert reminded() == ([], [])
    settle(drain, runner)
    assert reminded() == ([BP3MI], [COORDINATOR])
    settle(drain, runner)
    assert reminded() == ([BP3MI], [COORDINATOR])


def test_a_referral_taken_in_time_is_not_reminded(staff, phones, drain, runner, daytime):
    taken, noted = open_case(), open_case()
    refer(phones, taken)
    refer(phones, noted)
    daytime.move_to(DUE - dt.timedelta(hours=1))
    phones[BP3MI].say(f"TERIMA {taken.code}")
    phones[BP3MI].say(f"CATAT {noted.code} sudah ditelepon")
    daytime.move_to(DUE + dt.timedelta(days=1))
    settle(drain, runner)
    assert reminded() == ([], [])
    assert remind_referral(taken.id) == "skipped" and remind_referral(noted.id) == "skipped"


def test_referral_ack_days_is_a_setting(staff, phones, monkeypatch):
    monkeypatch.setattr(SETTINGS, "referral_ack_days", 0.5)
    case = open_case()
    refer(phones, case)
    assert fresh(case).referral_due_at == stored(REFERRED + dt.timedelta(hours=12))


@pytest.mark.parametrize("raw,value", [("", 3.0), ("1.5", 1.5), ("7", 7.0)])
def test_referral_ack_days_from_the_environment(tmp_path, raw, value):
    assert load_config(tmp_path, env={"REFERRAL_ACK_DAYS": raw})["REFERRAL_ACK_DAYS"] == value


def test_a_bad_referral_ack_days_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="REFERRAL_ACK_DAYS"):
        load_config(tmp_path, env={"REFERRAL_ACK_DAYS": "three"})


# staff add --agency ------------------------------------------------------------------------------------------

ADD = ["staff", "add", "--phone", "081299990000", "--name", "Bu Rina"]


@pytest.mark.parametrize(
    "args,agency",
    [
        (["--role", "official", "--agency", "bp3mi"], "bp3mi"),
        (["--role", "official", "--agency", "KBRI"], "kbri"),
        (["--role", "official"], "disnaker"),
        (["--role", "official", "--village", "Tracap"], None),
        (["--role", "organizer"], None),
    ],
)
def test_staff_add_stores_an_officials_agency(app, runner, args, agency):
    seed_villages("Tracap")
    result = runner.invoke(args=[*ADD, *args])
    assert result.exit_code == 0, result.output
    assert Staff.get(Staff.phone == "+6281299990000").agency == agency


@pytest.mark.parametrize(
    "args,complaint",
    [
        (["--role", "organizer", "--agency", "bp3mi"], "only for officials"),
        (["--role", "coordinator", "--agency", "disnaker"], "only for officials"),
        (["--role", "official", "--village", "Tracap", "--agency", "bp3mi"], "a village head has a village"),
        (["--role", "official", "--agency", "bpjs"], "--agency"),
    ],
)
def test_staff_add_refuses_an_agency_it_cannot_store(app, runner, args, complaint):
    seed_villages("Tracap")
    result = runner.invoke(args=[*ADD, *args])
    assert result.exit_code != 0 and complaint in result.output, result.output
    assert Staff.select().count() == 0


def test_a_village_head_made_an_agencys_official_loses_the_village_rule(app, runner):
    seed_villages("Tracap")
    assert runner.invoke(args=[*ADD, "--role", "official", "--village", "Tracap"]).exit_code == 0
    assert runner.invoke(args=[*ADD, "--role", "official", "--agency", "polisi"]).exit_code == 0
    official = Staff.get(Staff.phone == "+6281299990000")
    assert (official.village, official.agency, official.referral_agency) == (None, "polisi", "polisi")
