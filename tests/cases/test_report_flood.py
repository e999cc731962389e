"""A flood silences nobody: one number opens at most REPORTS_PER_DAY cases a (local) day; its further reports join
its latest open case as messages, the holder told at most once an hour; another number's report still opens its
own case and alerts at once."""

from __future__ import annotations

import datetime as dt

import time_machine

from models import Case, CaseEvent, Person, Staff, Village
from service import create_app
from tests.support.clock import MONDAY_MORNING
from tests.support.outbox import outbox
from tests.support.phones import Phone
from tests.support.staff import ORGANIZER
from tests.support.texts import text
from workers.sweep import sweep

FLOODER, VICTIM = "+6281234567121", "+6281234567122"


def unsafe_report(phone: Phone, story: str) -> str | None:
    """LAPOR <story>, then "not safe": the end's reply (or None when the same text was refused within 10 minutes)."""
    phone.say(f"LAPOR {story}")
    return phone.say("2")


def test_twelve_reports_from_one_number_open_three_cases_and_a_victim_is_still_heard(app, case_staff, send_sms):
    flooder, victim = Phone(send_sms, FLOODER), Phone(send_sms, VICTIM)
    with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
        for n in range(12):
            unsafe_report(flooder, f"tolong kami disekap nomor {n}")
            clock.shift(dt.timedelta(minutes=1))
        cases = list(Case.select().where(Case.reporter_phone == FLOODER).order_by(Case.id))
        assert len(cases) == 3, "REPORTS_PER_DAY"
        latest = cases[-1]
        joined = CaseEvent.select().where((CaseEvent.case == latest.id) & (CaseEvent.kind == "message"))
        assert joined.count() == 9 and "nomor 11" in joined.order_by(CaseEvent.id.desc()).first().note
        alerts_to_organiser = outbox(ORGANIZER, "alert")
        assert len(alerts_to_organiser) == 4, "three new cases and one 'new message' within the hour"

        end = unsafe_report(victim, "majikan memukul saya")
        victim_case = Case.get(Case.reporter_phone == VICTIM)
        assert end == text("report.sms.end", case_code=victim_case.display_code)
        assert victim_case.display_code in outbox(ORGANIZER, "alert")[-1].text

    with time_machine.travel(MONDAY_MORNING + dt.timedelta(days=1), tick=False):
        unsafe_report(flooder, "hari baru")
        assert Case.select().where(Case.reporter_phone == FLOODER).count() == 4, "a new local day, a new allowance"


def test_a_village_head_hears_only_of_urgent_cases_of_their_own_village(app, case_staff, send_sms, drain):
    for name in ("Tracap", "Lamuk"):
        Village.create(name=name)
    Staff.create(phone="+6281200000021", name="Pak Kades Tracap", role="official", village="Tracap")
    Staff.create(phone="+6281200000022", name="Pak Kades Lamuk", role="official", village="Lamuk")
    Person.create(phone=VICTIM, village="Tracap")
    with time_machine.travel(MONDAY_MORNING, tick=False) as clock:
        unsafe_report(Phone(send_sms, VICTIM), "majikan memukul saya")
        case = Case.get()
        assert outbox("+6281200000022") == [], "another village's head hears nothing"
        [told] = outbox("+6281200000021", "alert")
        assert VICTIM not in told.text and "memukul" not in told.text, "no number, no story"
        clock.shift(dt.timedelta(hours=5))  # past both escalation steps of an urgent case
        for _ in range(3):
            sweep()
            drain()
        assert [m.purpose for m in outbox("+6281200000022")] == ["digest"], "its own village's digest, no case"
        assert all(VICTIM not in m.text for m in outbox("+6281200000021"))
        assert Case.get_by_id(case.id).escalation_level == 2


def test_a_flood_under_a_small_daily_limit_still_leaves_room_for_a_victim(app, base_config, case_staff, send_sms):
    small = create_app({**base_config, "SMS_DAILY_LIMIT": 40})
    with small.app_context():
        client = small.test_client()

        def say(phone: str, body: str, n: int) -> None:
            response = client.post(
                f"/webhooks/at/sms?token={base_config['WEBHOOK_TOKEN']}",
                data={
                    "from": phone,
                    "to": "21234",
                    "text": body,
                    "id": f"flood-{phone}-{n}",
                    "date": "2026-11-28T06:04:45Z",
                },
            )
            assert response.status_code == 200

        with time_machine.travel(MONDAY_MORNING, tick=False):
            for n in range(12):
                say(FLOODER, f"LAPOR tolong kami disekap {n}", 2 * n)
                say(FLOODER, "2", 2 * n + 1)
            say(VICTIM, "LAPOR majikan memukul saya", 100)
            say(VICTIM, "2", 101)
        assert Case.select().where(Case.reporter_phone == FLOODER).count() == 3
        victim_case = Case.get(Case.reporter_phone == VICTIM)
        replies = [m for m in outbox(VICTIM, "reply") if m.status != "refused"]
        assert [m.text for m in replies][-1] == text("report.sms.end", case_code=victim_case.display_code)
        alerts = outbox(ORGANIZER, "alert")
        assert victim_case.display_code in alerts[-1].text and len(alerts) <= 6, "a handful, the victim's included"
    create_app(base_config)
