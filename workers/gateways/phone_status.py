"""The Android phone's last sign of life: its latest `system:ping` event, one Redis hash.

SMS Gateway for Android pings every few minutes when pings are on in its settings; the webhook writes the
time here and the health check reads it. It is state, not data: after a Redis restart the phone shows
no ping until its next one. Key `smsgate:phone`, fields `last_ping` (ISO 8601 UTC), `device_id`, `health`
(the app's own verdict: pass, warn or fail), and `last_send` (when the app last accepted a message of ours,
written by the send job).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from redis import Redis

from models.base import iso_utc

log = logging.getLogger(__name__)

PHONE_KEY = "smsgate:phone"
"""The Redis hash holding the phone's last ping."""


@dataclass(frozen=True)
class PhonePing:
    """The phone's latest ping."""

    at: dt.datetime
    device_id: str | None
    health: str | None


def record_ping(
    connection: Redis, at: dt.datetime, device_id: str | None, health: str | None, key: str = PHONE_KEY
) -> None:
    """Keep `at` (naive UTC) as the phone's latest sign of life (`key`: a pool phone's own hash)."""
    connection.hset(key, mapping={"last_ping": iso_utc(at), "device_id": device_id or "", "health": health or ""})


def record_send(connection: Redis, at: dt.datetime, key: str = PHONE_KEY) -> None:
    """Keep `at` (naive UTC) as the time the app last accepted a message of ours."""
    connection.hset(key, "last_send", iso_utc(at))


def last_send(connection: Redis, key: str = PHONE_KEY) -> dt.datetime | None:
    """When the app last accepted a message of ours (naive UTC), or None."""
    value = connection.hget(key, "last_send")
    # redis-py types every reply bytes | str whatever decode_responses; this connection's replies are bytes
    return dt.datetime.fromisoformat(value.decode().removesuffix("Z")) if value else None  # type: ignore[union-attr]


def last_ping(connection: Redis, key: str = PHONE_KEY) -> PhonePing | None:
    """The phone's latest ping, or None if none was recorded."""
    # redis-py types every reply bytes | str whatever decode_responses; this connection's replies are bytes
    fields = {k.decode(): v.decode() for k, v in connection.hgetall(key).items()}  # type: ignore[union-attr]
    return ping_of(fields)


def ping_of(fields: dict[str, str]) -> PhonePing | None:
    """The ping kept in a phone's hash (decoded fields), or None."""
    if not fields.get("last_ping"):
        return None
    at = dt.datetime.fromisoformat(fields["last_ping"].removesuffix("Z"))
    return PhonePing(at, fields.get("device_id") or None, fields.get("health") or None)


SILENT_AFTER = dt.timedelta(minutes=15)
"""No ping for this long and the phone is `degraded` (the app pings every few minutes when pings are on)."""

OUTAGE_KEY = "smsgate:phone:outage"
"""Set while the phone is known silent, so that several processes log the outage, and the return, once."""


@dataclass(frozen=True)
class PhoneHealth:
    """What /healthz and `gateway status` say of the phone."""

    state: str
    """`ok` or `degraded`."""
    reason: str | None
    last_ping: dt.datetime | None
    last_send: dt.datetime | None
    device_id: str | None = None
    app_health: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready, times as ISO 8601 UTC."""
        return {
            "state": self.state,
            "reason": self.reason,
            "last_ping": iso_utc(self.last_ping),
            "last_send": iso_utc(self.last_send),
            "device_id": self.device_id,
            "app_health": self.app_health,
        }


def phone_health(connection: Redis, now: dt.datetime, key: str = PHONE_KEY) -> PhoneHealth:
    """The phone's health at `now` (naive UTC): degraded, with the reason, after SILENT_AFTER without a ping."""
    ping, sent = last_ping(connection, key), last_send(connection, key)
    if ping is None:
        return PhoneHealth(
            "degraded",
            "no ping from the phone recorded (pings off in the app, webhooks not "
            "registered, or the phone has been away since Redis started)",
            None,
            sent,
        )
    silent = now - ping.at
    state, reason = "ok", None
    if silent > SILENT_AFTER:
        state, reason = "degraded", f"no ping from the phone for {int(silent.total_seconds() // 60)} minutes"
    return PhoneHealth(state, reason, ping.at, sent, ping.device_id, ping.health)


def watch_phone(connection: Redis, now: dt.datetime) -> PhoneHealth:
    """The phone's health, logging an outage once at error level and its end once (a Redis flag: once across
    processes)."""
    health = phone_health(connection, now)
    if health.state == "degraded":
        if connection.set(OUTAGE_KEY, iso_utc(now), nx=True):
            log.error("smsgate phone degraded: %s", health.reason)
    elif connection.delete(OUTAGE_KEY):
        log.info("smsgate phone is back: last ping %s", iso_utc(health.last_ping))
    return health
