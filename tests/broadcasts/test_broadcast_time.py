"""When a broadcast goes: a broadcast larger than the broadcasts' half of SMS_DAILY_LIMIT (the tests' 2000: 1000 a
day) sends its share, waits for 06:00 the next day and goes on, while a case alert raised after the share was used
still goes at once; one started in quiet hours waits for 06:00; the preview says so."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import time_machine

from models import Message
from models.broadcast import Broadcast
from tests.support.broadcasts import ID_TEXT, many_people
from tests.support.clock import JAKARTA, stored
from tests.support.outbox import outbox
from tests.support.reports import ussd_report_to_safe
from tests.support.staff import COORDINATOR, ORGANIZER, add_case_staff
from workers.sweep import sweep

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=JAKARTA)
NIGHT = dt.datetime(2026, 11, 30, 22, 30, tzinfo=JAKARTA)
TUESDAY_MORNING = dt.datetime(2026, 12, 1, 6, 0, tzinfo=JAKARTA)


def at(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def report(ussd, phone: str = "+6281399990001") -> None:
    session = ussd(phone)
    ussd_report_to_safe(session)
    session.answer("1", "1")
    assert session.answer("Majikan tidak bayar gaji").startswith("END ")


def test_bigger_than_the_daily_share_goes_on_the_next_morning_and_alerts_still_go(app, runner, drain, ussd):
    add_case_staff()
    phones = many_people(1500)
    with at(MONDAY):
        shown = runner.invoke(args=["broadcast", "send", "--text", ID_TEXT, "--dry-run"]).output
        assert "starts: 2026-11-30 10:00 (local)" in shown
        assert (
            "done by: 2026-12-01 06:00 (local), over 2 day(s): broadcasts' share 1000 a day, 1000 left today" in shown
        )
        runner.invoke(args=["broadcast", "send", "--text", ID_TEXT])
        drain()
        sent = outbox(purpose="broadcast")
        assert Counter(m.status for m in sent) == {"sent": 1000, "queued": 1}  # the 1001st waits for tomorrow
        broadcast = Broadcast.get()
        assert (broadcast.state, broadcast.resume_at) == ("sending", stored(TUESDAY_MORNING))
        [notice] = outbox(COORDINATOR, "alert")  # told once that the broadcasts' share is used up
        assert "1000" in notice.text
        report(ussd)  # the broadcasts' share is used up: a case alert still goes at once
        drain()
        [alert] = outbox(ORGANIZER, "alert")
        assert alert.status == "sent"
        sweep()  # nothing due: the broadcast waits for its morning
        drain()
        assert len(outbox(purpose="broadcast")) == 1001
    with at(TUESDAY_MORNING + dt.timedelta(minutes=1)):
        sweep()  # as if Redis had lost the job scheduled for 06:00
        drain()
    sent = outbox(purpose="broadcast")
    assert Counter(m.phone for m in sent) == dict.fromkeys(phones, 1)
    assert {m.status for m in sent} == {"sent"}
    assert Broadcast.get().state == "done"


def test_a_broadcast_started_in_quiet_hours_waits_for_six(app, runner, drain):
    phones = many_people(150)
    with at(NIGHT):
        shown = runner.invoke(args=["broadcast", "send", "--text", ID_TEXT]).output
        assert "starts: 2026-12-01 06:00 (local)" in shown
        drain()
        assert outbox() == []
        assert Broadcast.get().resume_at == stored(TUESDAY_MORNING)
    with at(TUESDAY_MORNING):
        drain()  # the job scheduled for 06:00
    assert Counter(m.phone for m in outbox(purpose="broadcast")) == dict.fromkeys(phones, 1)
    assert Message.select().where(Message.status != "sent").count() == 0


def test_pause_and_cancel_from_the_command_line(app, runner, drain):
    many_people(150)
    with at(MONDAY):
        runner.invoke(args=["broadcast", "send", "--text", ID_TEXT])
        number = str(Broadcast.get().id)
        paused = runner.invoke(args=["broadcast", "pause", number])
        assert paused.output.strip() == f"broadcast {number}: paused"
        drain()
        assert outbox() == []
        listed = runner.invoke(args=["broadcast", "list"]).output
        assert listed.startswith(f"{number}\tpaused\t0/0/0 of 150\teveryone\t")
        assert runner.invoke(args=["broadcast", "cancel", number]).output.strip() == f"broadcast {number}: cancelled"
        again = runner.invoke(args=["broadcast", "resume", number])
        assert again.exit_code != 0 and "cancelled" in again.output
        drain()
    assert outbox() == []
