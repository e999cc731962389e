"""A case changes hands by SMS (ALIH): its holder or a coordinator passes it to another organiser, both are told, the
timeline says so, and the reporter's news keeps flowing through the new holder; `staff remove` refuses while someone
holds cases, naming how many, and `--handover` gives them to a coordinator, so no case is ever held by nobody."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Case, CaseEvent, Staff
from models.returnee import Returnee
from models.task import Task
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.registration import register_by_ussd
from tests.support.staff import COORDINATOR, OFFICIAL, ORGANIZER, ORGANIZER_OTHER
from tests.support.texts import text
from tests.support.villages import seed_villages

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
REPORTER, CADRE = "+6281234567501", "+6281234567502"
LATER = "Saya sudah pulang ke rumah kakak, telepon sore saja"
ANSWER = "Baik bu, besok jam 4 sore kami telepon"


@pytest.fixture(autouse=True)
def daytime(app):
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def phones(send_sms, case_staff):
    seed_villages()
    Staff.create(phone=CADRE, name="Wati Kader", role="cadre", village="Tracap")
    numbers = (REPORTER, CADRE, ORGANIZER, ORGANIZER_OTHER, COORDINATOR, OFFICIAL)
    return {number: Phone(send_sms, number) for number in numbers}


def report_by_sms(phone: Phone) -> Case:
    """A safe SMS report: for themselves, unpaid wages, Hong Kong, consent and a story."""
    for answer in ("LAPOR", "1", "1", "4", "1"):
        phone.say(answer)
    phone.say("1 gaji belum dibayar 3 bulan")
    return Case.get(Case.reporter_phone == phone.number)


def sent(phone: str, purpose: str) -> list[str]:
    return [m.text for m in outbox(phone, purpose) if m.status == "sent"]


def test_a_case_handed_over_keeps_the_reporters_news_flowing_from_the_new_holder(phones, drain):
    case = report_by_sms(phones[REPORTER])
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    code = case.display_code

    done = text("cadre.handover.done", code=code, name="Ani Pengurus")
    assert phones[ORGANIZER].say(f"ALIH {code.lower()} Ani") == done
    case = Case.get_by_id(case.id)
    assert (case.assignee, case.status) == (ORGANIZER_OTHER, "acknowledged")
    event = case.events.order_by(CaseEvent.id.desc()).get()
    assert (event.kind, event.actor, event.channel, event.note) == ("handover", ORGANIZER, "sms", ORGANIZER_OTHER)
    assert [m.text for m in outbox(ORGANIZER_OTHER, "alert")][-1] == text(
        "cadre.sms.case_received", code=code, **{"from": "Siti Pengurus"}
    )

    before = len(outbox(ORGANIZER, "alert"))
    assert phones[REPORTER].say(LATER) == text("case.talk.received", code=code)
    told = [m.text for m in outbox(ORGANIZER_OTHER, "alert")]
    assert told[-1] == text("case.talk.new_message", code=code, words=LATER)
    assert len(outbox(ORGANIZER, "alert")) == before, "the old holder no longer hears of it"

    assert phones[ORGANIZER_OTHER].say(f"BALAS {code} {ANSWER}") == text(
        "case.talk.reply.done", code=code, phone=REPORTER
    )
    assert phones[ORGANIZER_OTHER].say(f"SELESAI {code} sudah ditelepon") == text(
        "case.resolve.done", code=code, status=text("case.status_short.resolved")
    )
    drain()
    assert sent(REPORTER, "case_reply") == [text("case.talk.reply.to_reporter", code=code, words=ANSWER)]
    assert sent(REPORTER, "case_news")[-1] == text("case.news.resolved", code=code)
    assert sent(ORGANIZER_OTHER, "alert"), "the new holder's alerts went out"


def test_a_coordinator_passes_on_a_case_someone_else_holds_and_the_holder_hears_of_it(phones, drain):
    case = report_by_sms(phones[REPORTER])
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    code = case.display_code
    assert phones[ORGANIZER_OTHER].say(f"ALIH {code} Ani") == text("cadre.handover.not_yours", code=code)
    assert phones[COORDINATOR].say(f"ALIH {code} 0812-0000-0011") == text(
        "cadre.handover.done", code=code, name="Ani Pengurus"
    )
    drain()
    assert sent(ORGANIZER, "alert")[-1] == text(
        "cadre.sms.case_passed", code=code, holder="Ani Pengurus", **{"from": "Bu Koordinator"}
    )
    received = text("cadre.sms.case_received", code=code, **{"from": "Bu Koordinator"})
    assert sent(ORGANIZER_OTHER, "alert")[-1] == received


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("Wati", "cadre.handover.nobody"),  # a cadre takes no case
        ("Pak", "cadre.handover.nobody"),  # an official takes no case either ("Pak Disnaker")
        ("Budi", "cadre.handover.nobody"),
        ("Siti", "cadre.handover.same"),
    ],
)
def test_alih_to_someone_who_cannot_hold_it_changes_nothing(phones, words, key):
    case = report_by_sms(phones[REPORTER])
    phones[ORGANIZER].say(f"TERIMA {case.code}")
    events = case.events.count()
    assert phones[ORGANIZER].say(f"ALIH {case.code} {words}") == text(key, code=case.display_code, who=words)
    assert Case.get_by_id(case.id).assignee == ORGANIZER and case.events.count() == events


def test_alih_of_a_case_nobody_took_or_an_unknown_code_is_refused(phones):
    case = report_by_sms(phones[REPORTER])
    assert phones[COORDINATOR].say(f"ALIH {case.code} Ani") == text("cadre.handover.not_held", code=case.display_code)
    assert phones[COORDINATOR].say("ALIH K7M-3RX Ani") == text("cadre.handover.unknown_code", code="K7M-3RX")
    assert phones[COORDINATOR].say("ALIH K7M3 Ani") == text("cadre.handover.unknown_code", code="K7M3")
    assert phones[COORDINATOR].say(f"ALIH {case.code}") == text("cadre.usage.alih")
    assert Case.get_by_id(case.id).assignee is None
    assert phones[REPORTER].say(f"ALIH {case.code} Ani") == text("staff.only"), "plainly a staff command"


def test_staff_remove_refuses_while_cases_are_held_then_hands_them_to_the_coordinators(phones, runner, drain):
    first, second = report_by_sms(phones[REPORTER]), report_by_sms(Phone(phones[REPORTER].send_sms, "+6281234567509"))
    for case in (first, second):
        phones[ORGANIZER_OTHER].say(f"TERIMA {case.code}")

    refused = runner.invoke(args=["staff", "remove", "--phone", ORGANIZER_OTHER])
    assert refused.exit_code != 0
    assert "holds 2 open case(s)" in refused.output and "--handover" in refused.output
    assert Staff.get(Staff.phone == ORGANIZER_OTHER).active

    phones[ORGANIZER_OTHER].say(f"ALIH {first.code} Siti")
    refused = runner.invoke(args=["staff", "remove", "--phone", ORGANIZER_OTHER])
    assert "holds 1 open case(s)" in refused.output and second.display_code in refused.output

    handed = runner.invoke(args=["staff", "remove", "--phone", ORGANIZER_OTHER, "--handover"])
    assert handed.exit_code == 0, handed.output
    assert not Staff.get(Staff.phone == ORGANIZER_OTHER).active
    assert Case.get_by_id(first.id).assignee == ORGANIZER
    assert Case.get_by_id(second.id).assignee == COORDINATOR
    held = Case.select().where(Case.status != "resolved")
    assert all(case.assignee for case in held), "no case is held by nobody"


def test_a_cadre_who_leaves_with_a_visit_taken_leaves_it_open_for_the_others(phones, ussd, runner):
    register_by_ussd(ussd(REPORTER), name="Rina Purnama", status="3", country="2")
    visit = Returnee.get(Returnee.phone == REPORTER).visit_task
    phones[CADRE].say(f"KUNJUNG {visit}")
    assert Task.get_by_id(visit).holder == CADRE
    removed = runner.invoke(args=["staff", "remove", "--phone", CADRE])
    assert removed.exit_code == 0, removed.output
    task = Task.get_by_id(visit)
    assert (task.status, task.holder) == ("open", None)
    assert phones[ORGANIZER].say(f"KUNJUNG {visit}") == text(
        "returnee.visit.taken", task_id=str(visit), name="Rina Purnama", phone=REPORTER, village="Tracap"
    ), "another takes it"
