"""The today page's health box: each phone that sends the service's SMS, as `/healthz` and `gateway status` see it
(in rotation or out and why, last ping, SMS today, what its daily limit leaves, messages waiting on it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.case import HANDLER_ROLES
from models.staff import Staff
from service.console.views import local_time
from service.health import phone_rows


@dataclass
class PhoneRow:
    """One phone as the box shows it."""

    name: str
    state: str
    reason: str
    last_ping: str
    sent_today: str
    limit_left: str
    queue: str


def phones_box(staff: Staff) -> list[PhoneRow]:
    """The phones for organisers and coordinators (who act when one drops out); none for others or without phones."""
    if staff.role not in HANDLER_ROLES:
        return []
    return [_row(fields) for fields in phone_rows()]


def _row(fields: dict[str, object]) -> PhoneRow:
    """A /healthz phone record as text for the page."""
    limit_left = fields.get("limit_left")
    return PhoneRow(
        name=str(fields["name"]),
        state=str(fields.get("state") or "unknown"),
        reason=str(fields.get("reason") or ""),
        last_ping=_local(fields.get("last_ping")),
        sent_today=str(fields.get("sent_today", "-")),
        limit_left="-" if limit_left is None else str(limit_left),
        queue=str(fields.get("queue", "-")),
    )


def _local(iso: object) -> str:
    """An ISO 8601 UTC time from /healthz as local 'YYYY-MM-DD HH:MM' ('-' for none)."""
    if not iso:
        return "-"
    moment = dt.datetime.fromisoformat(str(iso)).astimezone(dt.UTC).replace(tzinfo=None)
    return local_time(moment)
