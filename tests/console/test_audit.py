"""The audit: who opened which case or person page, and every export; `export audit` lists them."""

from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine

from models import Staff
from models.audit import CLI_ACTOR, AuditEvent
from tests.support.clock import MONDAY_MORNING
from tests.support.staff import COORDINATOR, ORGANIZER


def test_record_keeps_who_what_and_when(case_staff):
    organiser = Staff.get(Staff.phone == ORGANIZER)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        AuditEvent.record(organiser, "case_opened", "AB-12")
    AuditEvent.record(Staff.get(Staff.phone == COORDINATOR), "case_opened", "AB-12")
    AuditEvent.record(organiser, "person_opened", 7)
    looked = AuditEvent.of_target("case_opened", "AB-12")
    assert [event.actor for event in looked] == [COORDINATOR, ORGANIZER], "newest first"
    assert looked[1].to_export() == {
        "created_at": "2026-11-30T03:00:00Z",
        "actor": ORGANIZER,
        "kind": "case_opened",
        "target": "AB-12",
    }
    assert [event.target for event in AuditEvent.of_target("person_opened", 7)] == ["7"]


def test_an_unknown_kind_is_refused(case_staff):
    with pytest.raises(ValueError, match="audit kind"):
        AuditEvent.record(CLI_ACTOR, "peeked", "AB-12")


def test_every_export_is_recorded_and_export_audit_lists_them(runner, case_staff):
    AuditEvent.record(Staff.get(Staff.phone == ORGANIZER), "case_opened", "AB-12")
    for what in ("people", "cases"):
        assert runner.invoke(args=["export", what]).exit_code == 0
    result = runner.invoke(args=["export", "audit"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [(r["actor"], r["kind"], r["target"]) for r in records] == [
        (ORGANIZER, "case_opened", "AB-12"),
        (CLI_ACTOR, "export", "people"),
        (CLI_ACTOR, "export", "cases"),
        (CLI_ACTOR, "export", "audit"),
    ], "the audit's own export is in it"
    assert set(records[0]) == {"created_at", "actor", "kind", "target"}

    as_csv = runner.invoke(args=["export", "audit", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows[-1]["target"] == "audit" and rows[0]["actor"] == ORGANIZER
