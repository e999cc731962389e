"""`export cases`: the documented flat records as JSON or CSV on stdout; stories and notes only with --with-details."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from models import Case, Staff, database
from models.case_terms import Report

CASE_FIELDS = [
    "code",
    "status",
    "category",
    "severity",
    "country",
    "village",
    "created_at",
    "acknowledged_at",
    "resolved_at",
    "events",
]
STORY = "Majikan menahan paspor saya"
NOTE = "Sudah telepon agen di Taipei"


@pytest.fixture
def cases(app):
    """Two cases: an open urgent one, and a normal one acknowledged, noted and resolved."""
    organizer = Staff.create(phone="+6281200000001", name="Siti Pengurus", role="organizer")
    opened = []
    for number, category in enumerate(("violence", "documents")):
        report = Report(
            reporter_phone=f"+62812345670{60 + number}",
            for_whom="self",
            category=category,
            country="taiwan",
            safe_to_contact=True,
            safe_phone=None,
            story=STORY,
            consent_to_refer=True,
            channel="ussd",
            source_key=f"export:{number}",
        )
        with database.atomic():
            case, _ = Case.open(report, now=dt.datetime(2026, 11, 20 + number, 3, 0))
        opened.append(case)
    with database.atomic():
        opened[1].acknowledge(organizer)
        opened[1].add_note(organizer, NOTE)
        opened[1].resolve(organizer)
    return opened


def test_export_cases_json_has_the_documented_fields_and_no_story(runner, cases):
    result = runner.invoke(args=["export", "cases"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert all(list(r) == CASE_FIELDS for r in records)
    assert [r["code"] for r in records] == [c.display_code for c in cases]
    assert [(r["status"], r["severity"], r["category"], r["country"]) for r in records] == [
        ("new", "urgent", "violence", "taiwan"),
        ("resolved", "normal", "documents", "taiwan"),
    ]
    assert [r["events"] for r in records] == [1, 4]
    assert records[0]["acknowledged_at"] is None and records[1]["resolved_at"].endswith("Z")
    assert records[0]["created_at"] == "2026-11-20T03:00:00Z"
    assert STORY not in result.stdout and NOTE not in result.stdout


def test_export_cases_csv(runner, cases):
    result = runner.invoke(args=["export", "cases", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == CASE_FIELDS
    assert [(r["code"], r["status"], r["events"]) for r in rows] == [
        (cases[0].display_code, "new", "1"),
        (cases[1].display_code, "resolved", "4"),
    ]
    assert STORY not in result.stdout and NOTE not in result.stdout


def test_export_cases_with_details_adds_story_and_notes(runner, cases):
    records = json.loads(runner.invoke(args=["export", "cases", "--with-details"]).stdout)
    assert all(list(r) == CASE_FIELDS + ["story", "notes"] for r in records)
    assert [(r["story"], r["notes"]) for r in records] == [(STORY, ""), (STORY, NOTE)]
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(args=["export", "cases", "--format", "csv", "--with-details"]).stdout))
    )
    assert list(rows[0]) == CASE_FIELDS + ["story", "notes"] and rows[1]["notes"] == NOTE


def test_export_cases_when_there_are_none(runner, app):
    assert json.loads(runner.invoke(args=["export", "cases"]).stdout) == []


def test_with_details_is_only_for_cases(runner, app):
    result = runner.invoke(args=["export", "people", "--with-details"])
    assert result.exit_code != 0 and "--with-details" in result.output
