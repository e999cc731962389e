"""The Android phone's last sign of life: its latest `system:ping` event, one Redis hash.

SMS Gateway for Android pings every few minutes when pings are on in its settings; the webhook writes the
time here and the health check reads it. It is state, not data: after a Redis restart the phone shows
no ping until its next one. Key `smsgate:phone`, fields `last_ping` (ISO 8601 UTC), `device_id`, `health`
(the app's own verdict: pass, warn or fail), and `last_send` (when the app last accepted a message of ours,
written by the send job).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from redis import Redis

from models.base import iso_utc

PHONE_KEY = "smsgate:phone"
"""The Redis hash holding the phone's last ping."""


@dataclass(frozen=True)
class PhonePing:
    """The phone's latest ping."""

    at: dt.datetime
    device_id: str | None
    health: str | None


def record_ping(connection: Redis, at: dt.datetime, device_id: str | None, health: str | None) -> None:
    """Keep `at` (naive UTC) as the phone's latest sign of life."""
    connection.hset(PHONE_KEY, mapping={"last_ping": iso_utc(at), "device_id": device_id or "",
                                        "health": health or ""})


def record_send(connection: Redis, at: dt.datetime) -> None:
    """Keep `at` (naive UTC) as the time the app last accepted a message of ours."""
    connection.hset(PHONE_KEY, "last_send", iso_utc(at))


def last_send(connection: Redis) -> dt.datetime | None:
    """When the app last accepted a message of ours (naive UTC), or None."""
    value = connection.hget(PHONE_KEY, "last_send")
    return dt.datetime.fromisoformat(value.decode().removesuffix("Z")) if value else None


def last_ping(connection: Redis) -> PhonePing | None:
    """The phone's latest ping, or None if none was recorded."""
    fields = {k.decode(): v.decode() for k, v in connection.hgetall(PHONE_KEY).items()}
    if not fields.get("last_ping"):
        return None
    at = dt.datetime.fromisoformat(fields["last_ping"].removesuffix("Z"))
    return PhonePing(at, fields.get("device_id") or None, fields.get("health") or None)
