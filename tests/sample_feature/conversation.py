"""The sample feature's conversation: `INGATKAN [what]`, what (if not given) and the minutes, the confirmation; and
`INGATAN` for staff."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from menus.turn import FlowTurn
from models import utcnow
from tests.sample_feature.jobs import reminder_spec
from tests.sample_feature.reminder import Reminder

if TYPE_CHECKING:
    from menus.keywords import Match
    from menus.staff_commands import StaffCommand
    from menus.turn import SmsTurn

ROOT = "sample.what"
"""The conversation's first question (answered at once when `INGATKAN` carries the text)."""


def start(turn: SmsTurn, found: Match) -> None:
    """INGATKAN [what]: ask what (unless given), then in how many minutes."""
    turn.start_flow(ROOT, first_inputs=[found.argument] if found.argument else None)


def validate_what(text: str) -> tuple[str | None, str | None]:
    """What to be reminded of: 2 to 100 characters."""
    value = " ".join(text.split())
    return (value, None) if 2 <= len(value) <= 100 else (None, "error.sample_what")


def validate_minutes(text: str) -> tuple[str | None, str | None]:
    """A whole number of minutes from 1 to 1440."""
    value = text.strip()
    return (value, None) if value.isdigit() and 1 <= int(value) <= 1440 else (None, "error.sample_minutes")


def keep_reminder(turn: FlowTurn) -> None:
    """Store the reminder (idempotent per conversation) and schedule its job for its due time."""
    due = utcnow() + dt.timedelta(minutes=int(turn.answers["minutes"]))
    reminder = Reminder.create(phone=turn.phone, what=turn.answers["what"], due_at=due)
    turn.queued(reminder_spec(reminder))


def count_waiting(turn: SmsTurn, command: StaffCommand) -> None:
    """INGATAN: how many reminders wait to be sent."""
    turn.reply("sample.sms.waiting", {"count": str(Reminder.waiting())})
