"""Which phones of the pool are in rotation: each phone's health, its failures, its SMS today, in Redis.

A phone is out of rotation while it is silent (it pinged once, then not for SILENT_AFTER), while it refuses sends
(DROP_AFTER_FAILURES retryable failures in a row: offline, unreachable, timeouts; until it pings again, or, for a
phone whose pings are off, until a send tried RETRY_FAILING_AFTER after its last failure gets through), or once
it has sent its SMSGATE_<NAME>_DAILY_LIMIT today (until the next local day). A phone that never pinged counts as
in rotation: pings may be off in the app, and the sends themselves tell. The `out` field of the phone's hash marks
a drop that was announced, so that several processes announce it (and the return) once: `mark_out` and `mark_back`
answer True only to the one that changed it.

Each phone's SMS of the day are counted to the message (`reserve`, just before the gateway call; `release` when
the app did not take it), so its daily limit is never passed. A message handed to a phone is marked `unsure` with
that phone until the app's answer says what became of it: a message whose answer was lost (a timeout) or whose
worker died is checked on that phone before it goes through another one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from redis import Redis

from models.base import iso_utc
from models.settings import to_local, to_utc
from workers.gateways.phone_status import SILENT_AFTER, PhonePing, ping_of, record_ping
from workers.gateways.phones import PhoneSettings

SILENT, FAILING, FULL = "silent", "failing", "full"
"""Why a phone is out of rotation: no ping lately, refusing sends, its daily limit reached."""

DROP_AFTER_FAILURES = 3
"""Retryable failures in a row (no accepted send between) that take a phone out of rotation."""

RETRY_FAILING_AFTER = dt.timedelta(minutes=15)
"""A phone out for failing sends is tried again this long after its last failure: one send, and it is back if that
goes (announced as after a ping), or out for as long again if it fails (not announced again)."""

NOTICE_GAP = dt.timedelta(hours=1)
"""A phone that drops again within this long of its last announced drop is logged, not announced again (a phone
that pings but cannot send would otherwise flap: out on failures, back on its next ping)."""

UNSURE_TTL_SECONDS = 7 * 86400
"""How long a message's `unsure` mark is kept (longer than every retry)."""

DAY_TTL_SECONDS = 3 * 86400
"""How long a phone's count of a day is kept."""

_RESERVE = """
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
local limit = tonumber(ARGV[1])
if limit > 0 and n > limit then
  redis.call('DECR', KEYS[1])
  return -1
end
return n
"""

_ACCEPTED = """
redis.call('HSET', KEYS[1], 'last_send', ARGV[1], 'failures', 0)
if redis.call('HGET', KEYS[1], 'out') == 'failing' then
  redis.call('HSET', KEYS[1], 'failed_sends', 0)
  redis.call('HDEL', KEYS[1], 'out', 'out_since')
  return 1
end
return 0
"""

_BACK = """
local out = redis.call('HGET', KEYS[1], 'out')
if out == 'silent' or out == 'failing' then
  redis.call('HDEL', KEYS[1], 'out', 'out_since')
  redis.call('HSET', KEYS[1], 'failures', 0, 'failed_sends', 0)
  return 1
end
redis.call('HSET', KEYS[1], 'failures', 0, 'failed_sends', 0)
return 0
"""


def day_key(phone: PhoneSettings, day: dt.date) -> str:
    """The Redis counter of the SMS a phone took on one local day."""
    return f"{phone.status_key}:sent:{day.isoformat()}"


def today(now: dt.datetime) -> dt.date:
    """The service's local date at `now` (naive UTC): daily limits count local days."""
    return to_local(now).date()


def next_day_starts(now: dt.datetime) -> dt.datetime:
    """When the next local day starts after `now` (naive UTC, as stored): daily limits have room again."""
    return to_utc(dt.datetime.combine(today(now) + dt.timedelta(days=1), dt.time(0, 0)))


@dataclass(frozen=True)
class PhoneState:
    """What the pool knows of one phone at a moment."""

    phone: PhoneSettings
    ping: PhonePing | None
    last_send: dt.datetime | None
    failures: int
    failed_at: dt.datetime | None
    """When the phone's last failure in a row was (None: none since its last accepted send or ping)."""
    out: str | None
    """The announced drop's reason (SILENT, FAILING, FULL), or None."""
    sent_today: int
    now: dt.datetime

    @property
    def left_today(self) -> int | None:
        """SMS the phone may still send today; None without a daily limit."""
        limit = self.phone.daily_limit
        return None if not limit else max(0, limit - self.sent_today)

    @property
    def silent(self) -> bool:
        """True if the phone pinged once and not for SILENT_AFTER."""
        return self.ping is not None and self.now - self.ping.at > SILENT_AFTER

    @property
    def why_out(self) -> str | None:
        """Why the phone is out of rotation now (SILENT, FAILING, FULL), or None if it is in."""
        if self.left_today == 0:
            return FULL
        failing = self.out == FAILING or self.failures >= DROP_AFTER_FAILURES
        if failing and (self.failed_at is None or self.now - self.failed_at < RETRY_FAILING_AFTER):
            return FAILING
        if self.silent:
            return SILENT
        return None

    @property
    def in_rotation(self) -> bool:
        """True if the pool may route messages to the phone."""
        return self.why_out is None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready for /healthz: state, reason, last ping and send, sent today, limit and what is left."""
        reason = self.why_out
        return {
            "state": "ok" if reason is None else "out",
            "reason": REASON_WORDS[reason] if reason else None,
            "last_ping": iso_utc(self.ping.at) if self.ping else None,
            "last_send": iso_utc(self.last_send),
            "device_id": self.ping.device_id if self.ping else None,
            "app_health": self.ping.health if self.ping else None,
            "sent_today": self.sent_today,
            "daily_limit": self.phone.daily_limit,
            "limit_left": self.left_today,
            "max_per_minute": self.phone.max_per_minute,
            "recent_failures": self.failures,
        }


REASON_WORDS = {
    SILENT: f"no ping for more than {int(SILENT_AFTER.total_seconds() // 60)} minutes",
    FAILING: f"{DROP_AFTER_FAILURES} sends in a row failed (offline, unreachable, no answer, or the SIM could not"
    " send); back on its next ping"
    f" (or tried again {int(RETRY_FAILING_AFTER.total_seconds() // 60)} minutes after the last failure)",
    FULL: "its daily limit is reached; back tomorrow",
}
"""A drop's reason as logs, /healthz and `gateway status` say it."""


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.removesuffix("Z")) if value else None


def _decoded(raw: dict) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()
    }


def read_states(connection: Redis, phones: Sequence[PhoneSettings], now: dt.datetime) -> list[PhoneState]:
    """Every phone's state at `now` (naive UTC), in one round trip."""
    day = today(now)
    with connection.pipeline(transaction=False) as pipe:
        for phone in phones:
            pipe.hgetall(phone.status_key)
            pipe.get(day_key(phone, day))
        replies = pipe.execute()
    states = []
    for index, phone in enumerate(phones):
        fields, count = _decoded(replies[2 * index]), replies[2 * index + 1]
        states.append(
            PhoneState(
                phone=phone,
                ping=ping_of(fields),
                last_send=_time(fields.get("last_send")),
                failures=int(fields.get("failures") or 0),
                failed_at=_time(fields.get("failed_at")),
                out=fields.get("out") or None,
                sent_today=int(count or 0),
                now=now,
            )
        )
    return states


def reserve(connection: Redis, phone: PhoneSettings, now: dt.datetime) -> int | None:
    """Count one SMS to the phone's day, before the gateway call: the day's count with it, or None if the phone's
    daily limit is reached (nothing counted)."""
    counted = int(connection.eval(_RESERVE, 1, day_key(phone, today(now)), phone.daily_limit or 0, DAY_TTL_SECONDS))
    return None if counted < 0 else counted


def release(connection: Redis, phone: PhoneSettings, now: dt.datetime) -> None:
    """Take back one SMS counted by `reserve` the app did not take (refused, offline, not sent)."""
    key = day_key(phone, today(now))
    if int(connection.get(key) or 0) > 0:
        connection.decr(key)


def record_accepted(connection: Redis, phone: PhoneSettings, now: dt.datetime) -> bool:
    """The phone's app accepted a message: its last send, and no failure in a row; True if that brings it back
    from an announced drop for failing sends (tried again after RETRY_FAILING_AFTER)."""
    return bool(connection.eval(_ACCEPTED, 1, phone.status_key, iso_utc(now)))


def record_failure(connection: Redis, phone: PhoneSettings, now: dt.datetime) -> int:
    """A retryable failure of the phone (offline, unreachable, no answer): its failures in a row now."""
    with connection.pipeline() as pipe:
        pipe.hincrby(phone.status_key, "failures", 1)
        pipe.hset(phone.status_key, "failed_at", iso_utc(now))
        failures, _ = pipe.execute()
    return int(failures)


def record_send_news(connection: Redis, phone: PhoneSettings, failed: bool, now: dt.datetime) -> int:
    """The phone's own news of a send (`sms:sent`, or `sms:failed`: no credit, no signal, the SIM refused): its
    failed sends in a row now (a SIM out of credit takes every message and sends none)."""
    if not failed:
        connection.hset(phone.status_key, "failed_sends", 0)
        return 0
    with connection.pipeline() as pipe:
        pipe.hincrby(phone.status_key, "failed_sends", 1)
        pipe.hset(phone.status_key, "failed_at", iso_utc(now))
        count, _ = pipe.execute()
    return int(count)


def record_phone_ping(
    connection: Redis, phone: PhoneSettings, at: dt.datetime, device_id: str | None, health: str | None
) -> bool:
    """Keep the phone's ping; True if it was out of rotation (silent or refusing sends) and is back with it."""
    record_ping(connection, at, device_id, health, phone.status_key)
    return bool(connection.eval(_BACK, 1, phone.status_key))


def mark_out(connection: Redis, phone: PhoneSettings, reason: str, now: dt.datetime) -> bool:
    """Mark the phone's drop; True only for the caller that marked it (it announces it)."""
    if not connection.hsetnx(phone.status_key, "out", reason):
        return False
    connection.hset(phone.status_key, "out_since", iso_utc(now))
    return True


def clear_full(connection: Redis, phone: PhoneSettings) -> bool:
    """A new day: clear a daily-limit drop; True for the caller that cleared it."""
    with connection.pipeline() as pipe:
        pipe.hget(phone.status_key, "out")
        [out] = pipe.execute()
    if out not in (FULL, FULL.encode()):
        return False
    connection.hset(phone.status_key, "told", 0)  # back with the day: not news at midnight
    return bool(connection.hdel(phone.status_key, "out", "out_since"))


def tell_of_drop(connection: Redis, phone: PhoneSettings, now: dt.datetime) -> bool:
    """True if this drop is announced to the coordinators (none within NOTICE_GAP before); remembers it."""
    told_at = connection.hget(phone.status_key, "told_at")
    if told_at:
        last = dt.datetime.fromisoformat(told_at.decode().removesuffix("Z"))  # type: ignore[union-attr]
        if now - last < NOTICE_GAP:
            connection.hset(phone.status_key, "told", 0)
            return False
    connection.hset(phone.status_key, mapping={"told": 1, "told_at": iso_utc(now)})
    return True


_CLAIM_RETURN = """
if redis.call('HGET', KEYS[1], 'told') == '1' and not redis.call('HGET', KEYS[1], 'out') then
  redis.call('HSET', KEYS[1], 'told', 2)
  return 1
end
return 0
"""


def tell_of_return(connection: Redis, phone: PhoneSettings) -> bool:
    """True for the one caller that announces the phone's return: its drop was announced and it is no longer out.
    The caller then calls `told_of_return` once the announcement is written (or `tell_of_return_failed`)."""
    return bool(connection.eval(_CLAIM_RETURN, 1, phone.status_key))


def told_of_return(connection: Redis, phone: PhoneSettings, written: bool) -> None:
    """The return's announcement is written (nothing left to tell), or could not be (told on the next ping)."""
    connection.hset(phone.status_key, "told", 0 if written else 1)


def unsure_key(message_id: int) -> str:
    """The Redis key saying which phone may hold a message whose send has no certain outcome yet."""
    return f"smsgate:unsure:{int(message_id)}"


def mark_unsure(connection: Redis, message_id: int, phone: PhoneSettings) -> None:
    """The message is being handed to `phone`: until the answer is certain, that phone may have it."""
    connection.set(unsure_key(message_id), phone.name, ex=UNSURE_TTL_SECONDS)


def clear_unsure(connection: Redis, message_id: int) -> None:
    """The outcome of the message's send is certain (taken, refused for good, or certainly not taken)."""
    connection.delete(unsure_key(message_id))


def unsure_phone(connection: Redis, message_id: int) -> str | None:
    """The name of the phone that may hold the message (its last send's outcome was not certain), or None."""
    value = connection.get(unsure_key(message_id))
    return value.decode() if isinstance(value, bytes) else value
