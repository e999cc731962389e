"""The sending policy's counters: same text to a number, SMS a day to a number, and each share of the service's day.

`SMS_DAILY_LIMIT` is split into shares so that none can exhaust another (DESIGN "Sending limits"): replies, alerts
and escalations, and what the service starts on its own (news, reminders, follow-ups, digests, broadcasts), of which
broadcasts take at most half the day. Alerts are never refused: they are counted, and passing their share is told
once.

One Redis Lua script per SMS checks and spends them atomically (so two workers cannot both send the 31st), on
the caller's clock (the service's `utcnow`, so a day is a local calendar day and tests move time). Keys:
`sms:quota:same:<phone>:<text hash>` (when that text last went to that number), `sms:quota:day:<date>:<phone>`,
`sms:quota:day:<date>:share:<share>` and `sms:quota:day:<date>` (counts of what was let through: to a number, in a
share, in all), `sms:quota:told:<date>:<share>` (the coordinators were told that share is used up). Refused SMS
spend nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from typing import NamedTuple

from redis import Redis

KEY_PREFIX = "sms:quota"
"""Redis keys of the counters."""

SAME_TEXT_WINDOW = dt.timedelta(minutes=10)
"""The same text goes to the same number at most once in this long."""

DAY_KEYS_TTL = 2 * 86400
"""Seconds a day's counters live (past the day itself, whatever the time zone)."""

SAME_TEXT = "same_text"
PER_NUMBER = "per_number"
DAILY_LIMIT = "daily_limit"
BROADCAST_LIMIT = "broadcast_limit"
"""The limit a refused SMS hit: DAILY_LIMIT is its share of SMS_DAILY_LIMIT, BROADCAST_LIMIT the broadcasts' half."""

REPLIES, ALERTS, SERVICE = "replies", "alerts", "service"
"""The shares of SMS_DAILY_LIMIT: answers to a person's own message or action; case alerts and escalations; what
the service starts on its own (news, reminders, follow-ups, digests, broadcasts)."""

BROADCASTS = "broadcasts"
"""The broadcasts' part of the service's share (its own 'told' key)."""

SHARES: dict[str, float] = {REPLIES: 0.25, ALERTS: 0.15, SERVICE: 0.60}
"""Each share's fraction of SMS_DAILY_LIMIT (they add up to the whole)."""

BROADCAST_FRACTION = 0.5
"""Broadcasts take at most this fraction of SMS_DAILY_LIMIT, inside the service's share: a tenth of the day is left
for news, reminders and follow-ups whatever a broadcast does."""


def share_limit(daily_limit: int, share: str) -> int:
    """SMS a day in `share` (BROADCASTS: the broadcasts' cap) of a service-wide `daily_limit`; at least one."""
    fraction = BROADCAST_FRACTION if share == BROADCASTS else SHARES[share]
    return max(1, math.floor(daily_limit * fraction))


_SPEND = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local per_number = ARGV[3] == '1'
local past = ARGV[6] == '1'
local ttl = tonumber(ARGV[7])
local cap = tonumber(ARGV[8])
if per_number then
  local last = tonumber(redis.call('GET', KEYS[1]) or '')
  if last and now - last < window and now >= last then return {'same_text', 0} end
  if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[4]) then return {'per_number', 0} end
end
local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
local full = spent >= tonumber(ARGV[5])
if not past then
  if full then
    if redis.call('SET', KEYS[4], '1', 'NX', 'EX', ttl) then return {'daily_limit', 1} end
    return {'daily_limit', 0}
  end
  if cap > 0 and tonumber(redis.call('GET', KEYS[6]) or '0') >= cap then
    if redis.call('SET', KEYS[7], '1', 'NX', 'EX', ttl) then return {'broadcast_limit', 1} end
    return {'broadcast_limit', 0}
  end
end
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ttl)
redis.call('INCR', KEYS[5])
redis.call('EXPIRE', KEYS[5], ttl)
if cap > 0 then
  redis.call('INCR', KEYS[6])
  redis.call('EXPIRE', KEYS[6], ttl)
end
if per_number then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', math.ceil(window) + 60)
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ttl)
end
if full and redis.call('SET', KEYS[4], '1', 'NX', 'EX', ttl) then return {'', 1} end
return {'', 0}
"""

_COUNT = """
local spent = redis.call('INCRBY', KEYS[1], tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('INCRBY', KEYS[2], tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
if spent > tonumber(ARGV[2]) and redis.call('SET', KEYS[3], '1', 'NX', 'EX', tonumber(ARGV[3])) then return 1 end
return 0
"""


class Spent(NamedTuple):
    """What the counters said: `limit` is None when the SMS may go (and was counted), else the limit it hit."""

    limit: str | None = None
    first_over_daily_limit: bool = False
    """The first SMS of the day refused for its share (or, for an alert, past its share): tell the coordinators,
    once a day and share."""


def _day(day: dt.date) -> str:
    return f"{KEY_PREFIX}:day:{day:%Y%m%d}"


class SmsQuota:
    """The counters in one Redis (the connection is passed in)."""

    def __init__(self, connection: Redis) -> None:
        self.connection = connection
        self._script = connection.register_script(_SPEND)
        self._count = connection.register_script(_COUNT)

    def spend(
        self,
        phone: str,
        text: str,
        now: dt.datetime,
        day: dt.date,
        *,
        per_number_limit: int | None,
        daily_limit: int,
        past_daily_limit: bool,
        share: str = REPLIES,
        broadcast: bool = False,
    ) -> Spent:
        """Count one SMS of `text` to `phone` at naive UTC `now` on local `day` in `share` of `daily_limit` if every
        limit lets it; one call.

        `per_number_limit` None skips the per-number limits (staff); `past_daily_limit` lets it go past its share
        (case alerts), though it still counts; `broadcast` also holds it to the broadcasts' half of the day.
        """
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        keys = [
            f"{KEY_PREFIX}:same:{phone}:{digest}",
            f"{_day(day)}:{phone}",
            f"{_day(day)}:share:{share}",
            f"{KEY_PREFIX}:told:{day:%Y%m%d}:{share}",
            _day(day),
            f"{_day(day)}:share:{BROADCASTS}",
            f"{KEY_PREFIX}:told:{day:%Y%m%d}:{BROADCASTS}",
        ]
        seconds = (now - dt.datetime(1970, 1, 1)).total_seconds()
        limit, first = self._script(
            keys=keys,
            args=[
                f"{seconds:.3f}",
                SAME_TEXT_WINDOW.total_seconds(),
                "0" if per_number_limit is None else "1",
                per_number_limit or 0,
                share_limit(daily_limit, share),
                "1" if past_daily_limit else "0",
                DAY_KEYS_TTL,
                share_limit(daily_limit, BROADCASTS) if broadcast else 0,
            ],
            client=self.connection,
        )
        limit = limit.decode() if isinstance(limit, bytes) else limit
        return Spent(limit or None, bool(first))

    def count(self, day: dt.date, sent: int, daily_limit: int, share: str = ALERTS) -> bool:
        """Add `sent` SMS that no limit could refuse (alerts to staff) to `share` and the total of local `day`; True
        if this passed the share for the first time that day (tell the coordinators, once)."""
        keys = [f"{_day(day)}:share:{share}", _day(day), f"{KEY_PREFIX}:told:{day:%Y%m%d}:{share}"]
        args = [sent, share_limit(daily_limit, share), DAY_KEYS_TTL]
        return bool(self._count(keys=keys, args=args, client=self.connection))

    def spent(self, day: dt.date, share: str | None = None) -> int:
        """SMS counted on local `day`: in `share`, or in all."""
        key = _day(day) if share is None else f"{_day(day)}:share:{share}"
        return int(self.connection.get(key) or 0)
