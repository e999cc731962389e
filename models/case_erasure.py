"""A reporter's erasure request (HAPUS) while a case of theirs is open: kept on its timeline, and who is told."""

from __future__ import annotations

import datetime as dt

from models.base import utcnow
from models.case import Case, CaseEvent
from models.case_alerts import staff_in_order
from models.staff import Staff

ERASURE_ALERT_EVERY = dt.timedelta(days=1)
"""Staff hear of a HAPUS from a number with an open case at most this often."""


def note_erasure_request(case: Case, phone: str, now: dt.datetime | None = None) -> bool:
    """Record that `phone` asked for its data to be erased while the case is open; True if it had asked within
    ERASURE_ALERT_EVERY already (its staff are told at most once a day, however often HAPUS comes)."""
    now = now or utcnow()
    earlier = (
        CaseEvent.select()
        .where(
            (CaseEvent.case == case.id)
            & (CaseEvent.kind == "erasure_asked")
            & (CaseEvent.created_at > now - ERASURE_ALERT_EVERY)
        )
        .exists()
    )
    case.record("erasure_asked", phone, "sms")
    return earlier


def erasure_recipients(case: Case) -> list[Staff]:
    """Who hears that this case's reporter asked for their data to be erased: its organisers and
    coordinators (never an official: they may not know who reported)."""
    return staff_in_order(("organizer", "coordinator"), case.village)
