"""Migration 0012: the mentoring tasks a database had before are copied into `task` (number and village from the
enrollment and the person, source 'enrollment:<id>'), `mentoring_task` is gone, and the copies work as tasks."""

from __future__ import annotations

import datetime as dt

from models import Staff, Task
from models.migrate import upgrade
from tests.service.test_migrations import _insert, empty_database  # noqa: F401 (the fixture, used by name)

OPENED = dt.datetime(2026, 1, 9, 2, 5, 0)


def test_mentoring_tasks_become_open_tasks_and_the_old_table_goes(empty_database):  # noqa: F811
    upgrade("0011_console_search")
    rows = {
        "person": {
            "phone": "+6281200000001",
            "name": "Siti",
            "village": "Tracap",
            "created_at": OPENED,
            "updated_at": OPENED,
        },
        "training": {
            "code": "KOPI1",
            "title": "Kopi",
            "kind": "economic",
            "starts_at": OPENED,
            "place": "Balai",
            "capacity": 20,
            "status": "planned",
            "created_at": OPENED,
            "updated_at": OPENED,
        },
    }
    with empty_database.atomic():
        for table, row in rows.items():
            _insert(empty_database, table, row)
        for phone in ("+6281200000001", "+6281200000002"):  # the second one never registered: no village
            _insert(
                empty_database,
                "enrollment",
                {
                    "training_id": 1,
                    "phone": phone,
                    "status": "attended",
                    "queued_at": OPENED,
                    "created_at": OPENED,
                    "updated_at": OPENED,
                },
            )
        _insert(
            empty_database,
            "mentoring_task",
            {"enrollment_id": 1, "reason": "help", "status": "open", "created_at": OPENED},
        )
        _insert(
            empty_database,
            "mentoring_task",
            {"enrollment_id": 2, "reason": "not_yet_twice", "status": "open", "created_at": OPENED},
        )
        _insert(
            empty_database,
            "staff",
            {"phone": "+6281300000001", "name": "Bu Ani", "role": "organizer", "active": True, "created_at": OPENED},
        )

    assert "0012_tasks" in upgrade()

    assert "mentoring_task" not in empty_database.get_tables()
    copied = [
        (t.kind, t.phone, t.village, t.reason, t.source, t.status, t.created_at)
        for t in Task.select().order_by(Task.id)
    ]
    assert copied == [
        ("mentoring", "+6281200000001", "Tracap", "help", "enrollment:1", "open", OPENED),
        ("mentoring", "+6281200000002", None, "not_yet_twice", "enrollment:2", "open", OPENED),
    ]
    assert Task.open("mentoring", "+6281200000001", "Tracap", "help", "enrollment:1") is None, "opened once"
    task = Task.get(Task.source == "enrollment:1")
    organiser = Staff.get(Staff.phone == "+6281300000001")
    assert task.take(organiser) is True
    task.close(organiser, "sudah ditelepon")
    assert Task.get_by_id(task.id).outcome == "sudah ditelepon"
