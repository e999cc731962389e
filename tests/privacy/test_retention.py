"""Retention: a resolved case keeps its story, notes and numbers RETENTION_DAYS, then only its figures (the sweep
forgets them); an SMS conversation's answers are deleted a day after its last answer, a live one's are kept."""

from __future__ import annotations

import datetime as dt
import json

import time_machine

from models import Case, CaseEvent, Conversation, Message
from models.settings import DEFAULT_RETENTION_DAYS
from tests.support.clock import MONDAY_MORNING
from tests.support.phones import Phone
from tests.support.staff import ORGANIZER
from workers.sweep import sweep

REPORTER = "+6281234567111"
SAFE_PHONE = "+6281234567222"
OTHER_REPORTER = "+6281234567333"
STORY = "gaji belum dibayar 3 bulan"
NOTE = "sudah telepon, majikan di Kowloon"


def report(reporter: Phone, story: str) -> Case:
    for answer in ("LAPOR", "1", "1", "4", "1", f"1 {story}"):
        reporter.say(answer)
    return Case.select().order_by(Case.id.desc()).get()


def take_note_and_resolve(organiser: Phone, case: Case, note: str = NOTE) -> None:
    organiser.say(f"TERIMA {case.display_code}")
    organiser.say(f"CATAT {case.display_code} {note}")
    organiser.say(f"SELESAI {case.display_code} gaji dibayar")


def sweep_and_run(drain) -> None:
    sweep()
    drain()


def test_a_resolved_case_keeps_its_story_notes_and_numbers_until_retention_days_then_only_its_figures(
    app, case_staff, send_sms, runner, drain
):
    assert app.config["RETENTION_DAYS"] == DEFAULT_RETENTION_DAYS == 730
    reporter, organiser = Phone(send_sms, REPORTER), Phone(send_sms, ORGANIZER)
    with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
        case = report(reporter, STORY)
        Case.update(safe_phone=SAFE_PHONE).where(Case.id == case.id).execute()
        reporter.say("Terima kasih, gaji sudah sebagian")  # the reporter's later words join the timeline
        take_note_and_resolve(organiser, case)
        clock.shift(dt.timedelta(days=30))
        later = report(Phone(send_sms, OTHER_REPORTER), "paspor ditahan agen")
        take_note_and_resolve(
            organiser, later, "agen sudah ditegur"
        )  # resolved a month later: its time is not up with the first's
        timeline = [
            (e.kind, e.created_at) for e in CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id)
        ]
        figures = Case.get_by_id(case.id).to_export()

        clock.move_to(MONDAY_MORNING + dt.timedelta(days=730 - 1))
        sweep_and_run(drain)
        kept = Case.get_by_id(case.id)
        assert (kept.story, kept.reporter_phone, kept.safe_phone) == (STORY, REPORTER, SAFE_PHONE), "the day before"
        assert any(NOTE in (e.note or "") for e in CaseEvent.select().where(CaseEvent.case == case.id))  # encrypted

        clock.move_to(MONDAY_MORNING + dt.timedelta(days=730, hours=1))
        sweep_and_run(drain)

    forgotten = Case.get_by_id(case.id)
    assert (forgotten.story, forgotten.reporter_phone, forgotten.safe_phone) == (None, "", None)
    events = list(CaseEvent.select().where(CaseEvent.case == case.id).order_by(CaseEvent.id))
    assert [(e.kind, e.created_at) for e in events] == timeline, "the timeline's kinds and dates stay"
    assert all(e.note is None for e in events), "no note, no reporter's words"
    assert not any(e.actor in (REPORTER, SAFE_PHONE) for e in events)
    assert forgotten.to_export() == figures, "the figures stay"

    exported = runner.invoke(args=["export", "cases", "--with-details"]).stdout
    records = {record["code"]: record for record in json.loads(exported)}
    assert records[case.display_code]["story"] is None and records[case.display_code]["notes"].strip(" |") == ""
    assert STORY not in exported and NOTE not in exported and "sebagian" not in exported
    assert records[later.display_code]["story"], "a case resolved a month later keeps its story a month longer"
    assert Case.get_by_id(later.id).reporter_phone == OTHER_REPORTER


def test_an_open_case_keeps_everything_however_old(app, case_staff, send_sms, drain):
    with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
        case = report(Phone(send_sms, REPORTER), STORY)
        clock.move_to(MONDAY_MORNING + dt.timedelta(days=3 * 365))
        sweep_and_run(drain)
    kept = Case.get_by_id(case.id)
    assert (kept.story, kept.reporter_phone) == (STORY, REPORTER)


def test_an_ended_conversations_answers_are_deleted_a_day_later_a_live_one_is_untouched(app, send_sms, drain):
    abandoned, live = Phone(send_sms, "+6281234567401"), Phone(send_sms, "+6281234567402")
    with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
        abandoned.say("LAPOR")
        abandoned.say("1")
        assert json.loads(Conversation.get(Conversation.phone == abandoned.number).inputs)

        clock.shift(dt.timedelta(hours=23, minutes=59))
        live.say("LAPOR")
        live.say("1")
        sweep_and_run(drain)
        assert json.loads(Conversation.get(Conversation.phone == abandoned.number).inputs), "not a day yet"

        clock.shift(dt.timedelta(minutes=2))
        sweep_and_run(drain)

    gone = Conversation.get(Conversation.phone == abandoned.number)
    assert (gone.flow, json.loads(gone.inputs), gone.screen, gone.started_by) == (None, [], None, None)
    untouched = Conversation.get(Conversation.phone == live.number)
    assert untouched.flow and json.loads(untouched.inputs) == ["1"]


def test_the_sms_that_repeat_a_case_lose_their_texts_with_it(app, case_staff, send_sms, drain):
    reporter, organiser = Phone(send_sms, REPORTER), Phone(send_sms, ORGANIZER)
    with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
        case = report(reporter, STORY)
        take_note_and_resolve(organiser, case)
        clock.shift(dt.timedelta(days=3))
        reporter.say("INFO")  # after the case: not about it
        assert any(STORY in m.text for m in Message.select().where(Message.phone == REPORTER))
        assert any(case.display_code in m.text for m in Message.select().where(Message.phone == ORGANIZER))
        clock.move_to(MONDAY_MORNING + dt.timedelta(days=731))
        sweep_and_run(drain)

    texts = [m.text for m in Message.select().where(Message.phone.in_([REPORTER, ORGANIZER]))]
    assert not any(STORY in t or NOTE in t or case.display_code in t or REPORTER in t for t in texts)
    assert "INFO" in texts, "an SMS after the case is not its"
