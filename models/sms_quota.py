"""The sending policy's counters: same text to a number, SMS a day to a number and across the service.

One Redis Lua script per SMS checks and spends them atomically (so two workers cannot both send the 31st), on
the caller's clock (the service's `utcnow`, so a day is a local calendar day and tests move time). Keys:
`sms:quota:same:<phone>:<text hash>` (when that text last went to that number), `sms:quota:day:<date>:<phone>`
and `sms:quota:day:<date>` (counts of what was let through), `sms:quota:told:<date>` (the coordinators were
told the daily limit was reached). Refused SMS spend nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
"""The limit a refused SMS hit."""

_SPEND = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local per_number = ARGV[3] == '1'
if per_number then
  local last = tonumber(redis.call('GET', KEYS[1]) or '')
  if last and now - last < window and now >= last then return {'same_text', 0} end
  if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[4]) then return {'per_number', 0} end
end
if ARGV[6] ~= '1' and tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[5]) then
  local first = redis.call('SET', KEYS[4], '1', 'NX', 'EX', tonumber(ARGV[7]))
  if first then return {'daily_limit', 1} end
  return {'daily_limit', 0}
end
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[7]))
if per_number then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', math.ceil(window) + 60)
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[7]))
end
return {'', 0}
"""


class Spent(NamedTuple):
    """What the counters said: `limit` is None when the SMS may go (and was counted), else the limit it hit."""

    limit: str | None = None
    first_over_daily_limit: bool = False
    """This is the first SMS of the day refused for the service-wide limit (tell the coordinators, once)."""


class SmsQuota:
    """The counters in one Redis (the connection is passed in)."""

    def __init__(self, connection: Redis) -> None:
        self.connection = connection
        self._script = connection.register_script(_SPEND)

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
    ) -> Spent:
        """Count one SMS of `text` to `phone` at naive UTC `now` on local `day` if every limit lets it; one call.

        `per_number_limit` None skips the per-number limits (staff); `past_daily_limit` lets it go over the
        service-wide one (urgent case alerts), though it still counts.
        """
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        keys = [
            f"{KEY_PREFIX}:same:{phone}:{digest}",
            f"{KEY_PREFIX}:day:{day:%Y%m%d}:{phone}",
            f"{KEY_PREFIX}:day:{day:%Y%m%d}",
            f"{KEY_PREFIX}:told:{day:%Y%m%d}",
        ]
        seconds = (now - dt.datetime(1970, 1, 1)).total_seconds()
        limit, first = self._script(
            keys=keys,
            args=[
                f"{seconds:.3f}",
                SAME_TEXT_WINDOW.total_seconds(),
                "0" if per_number_limit is None else "1",
                per_number_limit or 0,
                daily_limit,
                "1" if past_daily_limit else "0",
                DAY_KEYS_TTL,
            ],
            client=self.connection,
        )
        limit = limit.decode() if isinstance(limit, bytes) else limit
        return Spent(limit or None, bool(first))

    def count(self, day: dt.date, sent: int) -> None:
        """Add `sent` SMS that no limit could refuse (alerts to staff) to the service's total of local `day`."""
        key = f"{KEY_PREFIX}:day:{day:%Y%m%d}"
        with self.connection.pipeline(transaction=False) as pipe:
            pipe.incrby(key, sent)
            pipe.expire(key, DAY_KEYS_TTL)
            pipe.execute()
