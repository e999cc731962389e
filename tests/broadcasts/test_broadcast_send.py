"""A broadcast sent with `flask --app service broadcast send`, played through a real burst worker to the outbox.

Time stands still on a weekday morning in Jakarta (outside quiet hours) unless a test moves it.
"""

from __future__ import annotations

from collections import Counter

import pytest

from models import Message
from models.broadcast import Broadcast, BroadcastRecipient
from tests.support.broadcasts import (
    ABROAD,
    BUDI,
    ELSEWHERE,
    ID_TEXT,
    JV_TEXT,
    OPTED_OUT,
    SITI,
    STAFF,
    UNSAFE,
    WIWIT,
    village_people,
)
from tests.support.clock import frozen_at
from tests.support.outbox import outbox


@pytest.fixture(autouse=True)
def morning():
    with frozen_at():
        yield


def test_one_village_in_two_languages(app, runner, drain):
    village_people()
    result = runner.invoke(args=["broadcast", "send", "--text", ID_TEXT, "--text-jv", JV_TEXT, "--village", "Tracap"])
    assert result.exit_code == 0, result.output
    assert "recipients: 3" in result.output
    assert "left out, opted out (BERHENTI): 1" in result.output
    assert "left out, marked unsafe: 1" in result.output
    assert "left out, staff: 1" in result.output
    assert "left out, abroad: 1" in result.output
    drain()
    sent = outbox(purpose="broadcast")
    assert Counter(m.phone for m in sent) == {SITI: 1, WIWIT: 1, BUDI: 1}
    assert {m.phone: m.text for m in sent} == {SITI: ID_TEXT, WIWIT: JV_TEXT, BUDI: JV_TEXT}
    assert {m.status for m in sent} == {"sent"}
    for phone in (OPTED_OUT, UNSAFE, STAFF, ABROAD, ELSEWHERE):
        assert outbox(phone) == []
    broadcast = Broadcast.get()
    assert broadcast.state == "done"
    assert broadcast.progress() == {"total": 3, "written": 3, "waiting": 0, "sent": 3, "delivered": 0, "failed": 0}


def test_dry_run_prints_the_preview_and_sends_nothing(app, runner, drain):
    village_people()
    result = runner.invoke(
        args=["broadcast", "send", "--text", ID_TEXT, "--text-jv", JV_TEXT, "--village", "Tracap", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "recipients: 3" in result.output
    assert f"[id] 1 recipients, 1 segment(s) gsm7, Rp 150\n  {ID_TEXT}" in result.output
    assert f"[jv] 2 recipients, 1 segment(s) gsm7, Rp 300\n  {JV_TEXT}" in result.output
    assert "cost: Rp 450 (3 segments)" in result.output
    assert "starts: 2026-11-30 10:00 (local)" in result.output
    assert "dry run: nothing sent" in result.output
    drain()
    assert outbox() == []
    assert Broadcast.select().count() == 0
    assert BroadcastRecipient.select().count() == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--text", "  "], "--text"),
        (["--text", "x" * 460], "--text-id"),
        (["--text", "Halo", "--status", "pensiun"], "--status"),
        (["--text", "Halo", "--language", "fr"], "--language"),
        (["--text", "Halo", "--trained", "NOPE1"], "--trained"),
    ],
)
def test_bad_input_is_refused_by_name_and_changes_nothing(app, runner, args, says):
    village_people()
    result = runner.invoke(args=["broadcast", "send", *args])
    assert result.exit_code != 0
    assert says in result.output
    assert Broadcast.select().count() == 0
    assert Message.select().count() == 0
