"""HAPUS erases what it promises once the person's cases are closed: the cases' stories, notes and numbers (their
figures stay), training places and mentoring tasks, staff texts that name the number, and every SMS still waiting
for it."""

from __future__ import annotations

import datetime as dt
import json

import time_machine

from models import Case, CaseEvent, Enrollment, Message, Staff, Task, Training, utcnow
from models.data_rights import ERASED_REASON
from tests.support.clock import MONDAY_MORNING
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import ORGANIZER
from tests.support.texts import text

REPORTER = "+6281234567111"
LOCAL = "081234567111"
STORY = "gaji belum dibayar 3 bulan"


def test_hapus_after_a_closed_case_leaves_no_story_and_no_number(app, case_staff, send_sms, runner):
    reporter, organiser = Phone(send_sms, REPORTER), Phone(send_sms, ORGANIZER)
    for answer in ("LAPOR", "1", "1", "4", "1", f"1 {STORY}"):
        reporter.say(answer)
    case = Case.get()
    organiser.say(f"TERIMA {case.display_code}")
    organiser.say(f"CATAT {case.display_code} sudah telepon {LOCAL}, majikan di Kowloon")
    organiser.say(f"SELESAI {case.display_code} gaji dibayar")
    training = Training.add("KOPI9", "Budidaya kopi", "economic", utcnow() + dt.timedelta(days=40), "Balai Desa", 20)
    enrollment = Enrollment.create(training=training, phone=REPORTER, status="attended", queued_at=utcnow())
    Task.open("mentoring", REPORTER, None, "help", f"enrollment:{enrollment.id}")
    waiting = Message.queue_outbound(REPORTER, "besok pelatihan KOPI9", "reminder", utcnow() + dt.timedelta(days=1))
    assert any(REPORTER in m.text for m in outbox(ORGANIZER, "alert")), "the alert gave the organisers the number"

    reporter.say("HAPUS")
    assert reporter.say("YA") == text("rights.erased")

    exported = runner.invoke(args=["export", "cases", "--with-details"]).stdout
    assert REPORTER not in exported and LOCAL not in exported and STORY not in exported and "Kowloon" not in exported
    [record] = json.loads(exported)
    assert (record["category"], record["status"], record["code"]) == ("wages", "resolved", case.display_code)
    assert record["events"] == CaseEvent.select().where(CaseEvent.case == case.id).count() >= 4
    assert not CaseEvent.select().where(CaseEvent.actor == REPORTER).exists()
    assert Enrollment.select().count() == 0 and Task.select().count() == 0
    staff_texts = [m.text for m in Message.select().where(Message.phone.in_(Staff.select(Staff.phone)))]
    assert staff_texts and not any(REPORTER in t or LOCAL in t for t in staff_texts)
    refused = Message.get_by_id(waiting.message_id)
    assert (refused.status, refused.last_error, refused.text) == ("refused", ERASED_REASON, "")


def test_hapus_again_and_again_with_an_open_case_tells_staff_once_a_day(app, case_staff, send_sms):
    reporter = Phone(send_sms, REPORTER)
    with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
        for answer in ("LAPOR", "1", "1", "4", "1", f"1 {STORY}"):
            reporter.say(answer)
        for _ in range(5):
            reporter.say("HAPUS")
            assert reporter.say("YA") == text("rights.erase_case_open")
            clock.shift(dt.timedelta(minutes=11))  # past the same-text rule: each answer is sent
        told = [m for m in outbox(ORGANIZER, "alert") if "HAPUS" in m.text]
        assert len(told) == 1, "once a day, however often HAPUS comes"
        clock.shift(dt.timedelta(days=1))
        reporter.say("HAPUS")
        reporter.say("YA")
        assert len([m for m in outbox(ORGANIZER, "alert") if "HAPUS" in m.text]) == 2
    assert CaseEvent.select().where(CaseEvent.kind == "erasure_asked").count() == 6, "every request is on record"
