"""A dropped USSD session does not lose a report: the answers become an incomplete case, alerted like any other."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from menus import catalog
from models import Case, Person, ReportDraft, Staff
from tests.support.clock import stored
from tests.support.outbox import outbox
from tests.support.settings import TOKEN

REPORTER = "+6281234567041"
ORGANIZER = "+6281200000001"


@pytest.fixture
def organizer(app):
    return Staff.create(phone=ORGANIZER, name="Siti Pengurus", role="organizer", village="Tracap")


def session_end(client, session_id: str, status: str = "Incomplete"):
    return client.post(
        f"/webhooks/at/ussd-events?token={TOKEN}",
        data={
            "sessionId": session_id,
            "status": status,
            "phoneNumber": REPORTER,
            "input": "2*1*3",
            "durationInMillis": "90000",
            "lastAppResponse": "CON ...",
        },
    )


def start_report(ussd, *answers: str, session_id: str = "drop-1"):
    session = ussd(REPORTER, session_id)
    session.dial()
    session.answer("2", *answers)
    return session


def test_a_session_cut_after_the_problem_becomes_an_incomplete_case(app, client, ussd, organizer):
    start_report(ussd, "1", "1", "2")  # myself, violence (urgent ones first), Taiwan; then the line drops
    assert ReportDraft.select().count() == 1 and Case.select().count() == 0
    response = session_end(client, "drop-1")
    assert response.status_code == 200 and response.get_json()["alerts"] == 1
    case = Case.get()
    assert (case.incomplete, case.category, case.severity, case.country) == (True, "violence", "urgent", "taiwan")
    assert case.safe_to_contact is False and case.contact_phone is None, "unknown safety counts as not safe"
    assert Person.for_phone(REPORTER) is None or Person.for_phone(REPORTER).unsafe_at is None, (
        "an unanswered question marks nothing"
    )
    alert = outbox(ORGANIZER, "alert")[0].text
    assert alert.startswith(f"LAPORAN TERPUTUS MENDESAK {case.display_code}: Kekerasan, Taiwan")
    assert outbox(REPORTER) == [], "nothing goes to a reporter whose safety we do not know"
    assert session_end(client, "drop-1").get_json()["alerts"] == 0, "AT's retry opens nothing more"
    assert Case.select().count() == 1 and ReportDraft.select().count() == 0


@pytest.mark.parametrize("status", ["Success", ""])
def test_a_session_that_ended_well_opens_nothing(app, client, ussd, organizer, status):
    start_report(ussd, "1", "1")
    assert session_end(client, "drop-1", status).status_code == 200
    assert Case.select().count() == 0


def test_nothing_is_kept_before_the_problem_is_chosen(app, client, ussd, organizer):
    start_report(ussd, "1")
    assert ReportDraft.select().count() == 0
    session_end(client, "drop-1")
    assert Case.select().count() == 0


def test_a_silent_session_becomes_a_case_after_five_minutes(app, ussd, organizer, runner, drain):
    start = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        start_report(ussd, "2", "4", "1", "2")  # family, wages, Hong Kong, not safe
    with time_machine.travel(start + dt.timedelta(minutes=4, seconds=59), tick=False):
        runner.invoke(args=["sweep"])
        drain()
        assert Case.select().count() == 0
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        runner.invoke(args=["sweep"])
        drain()
        runner.invoke(args=["sweep"])
        drain()
    case = Case.get()
    assert (case.incomplete, case.for_whom, case.category) == (True, "family", "wages")
    assert Person.for_phone(REPORTER).unsafe_at == stored(start + dt.timedelta(minutes=5)), (
        "the reporter said SMS is not safe: recorded when the draft became a case"
    )
    assert [m.status for m in outbox(ORGANIZER)] == ["sent"]


def test_finishing_the_same_session_fills_the_case_in(app, client, ussd, organizer):
    session = start_report(ussd, "1", "4", "1")  # myself, wages, Hong Kong
    session_end(client, "drop-1")
    code = Case.get().display_code
    reply = session.answer("1", "1", "Gaji tiga bulan belum dibayar")
    assert reply == "END " + catalog.text("report.done", "id", {"case_code": code})
    case = Case.get()
    assert Case.select().count() == 1 and not case.incomplete
    assert (case.safe_to_contact, case.story) == (True, "Gaji tiga bulan belum dibayar")
    assert [e.kind for e in case.events.order_by(Case.events.rel_model.id)] == ["opened", "completed"]
    assert len(outbox(ORGANIZER, "alert")) == 1, "staff were alerted once"


def test_a_finished_report_leaves_no_draft(app, ussd, organizer, runner):
    start_report(ussd, "1", "4", "1", "1", "1", "1")
    assert Case.select().count() == 1 and not Case.get().incomplete
    assert ReportDraft.select().count() == 0
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10), tick=False):
        runner.invoke(args=["sweep"])
    assert Case.select().count() == 1


def test_a_completed_report_that_turns_out_urgent_gets_the_urgent_deadline(app):
    from models.case_terms import Report

    base = dict(
        reporter_phone=REPORTER,
        for_whom="self",
        country="taiwan",
        safe_to_contact=False,
        safe_phone=None,
        story=None,
        consent_to_refer=False,
        channel="ussd",
        source_key="ussd:drop-9",
    )
    case, _ = Case.open(Report(category="wages", incomplete=True, **base))
    assert case.ack_due_at == case.created_at + dt.timedelta(minutes=1440)
    Case.open(Report(category="violence", **base))
    case = Case.get_by_id(case.id)
    assert (case.severity, case.incomplete) == ("urgent", False)
    assert case.ack_due_at == case.next_escalation_at == case.created_at + dt.timedelta(minutes=120)
