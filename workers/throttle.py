"""The send throttle of the phone backend: at most N sends a minute across all workers, evenly spaced, urgent first.

A GCRA (generic cell rate algorithm) in one Redis Lua script, on Redis's own clock so every worker and host
agrees. Why not a library: `limits` (the well-kept one on PyPI, 5.x, Redis storage) counts hits in fixed or
moving windows of whole seconds, so 600 a minute would be "600 per 60 s" and let all 600 go in the first
second (a SIM and a carrier's bulk filter see a burst), and 20 a minute cannot be said as an even "1 per 3 s"
for every N; it has no priority and cannot tell a caller how long to wait. GCRA with no burst tolerance
grants one permit every 60/N seconds (so no 1-second window holds more than its even share + 1), answers
"wait this long" instead of a yes/no, and fits in a dozen lines.

Three keys, all expiring: `tat` (the theoretical arrival time of the next permit), `hold` (an urgent sender
is waiting: ordinary senders step aside until it got its permit) and `tail` (the last turn handed to an
ordinary sender that could not wait: they come back in the order they were deferred, and a newcomer queues
behind them rather than jumping in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis import Redis

KEY_PREFIX = "smsgate:throttle"
"""Redis keys of the throttle (`:tat`, `:hold`, `:tail`)."""

URGENT_HOLD_SLACK_MS = 250
"""How long past its permit time an urgent sender keeps ordinary ones out (it sleeps, then asks again)."""

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local urgent = ARGV[2] == '1'
local has_turn = ARGV[3] == '1'
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if not urgent then
  if redis.call('EXISTS', KEYS[2]) == 1 then return tat - now + interval end
  if not has_turn then
    local tail = tonumber(redis.call('GET', KEYS[3]) or '0')
    if tail > now then return tail - now + interval end
  end
end
if tat > now then
  if urgent then redis.call('SET', KEYS[2], '1', 'PX', tat - now + %(slack)d) end
  return tat - now
end
redis.call('SET', KEYS[1], tat + interval, 'PX', interval + 1000)
if urgent then redis.call('DEL', KEYS[2]) end
return 0
""" % {"slack": URGENT_HOLD_SLACK_MS}

_HOLD = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1])) end
return 0
"""

_TURN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local tail = tonumber(redis.call('GET', KEYS[2]) or '0')
local turn = math.max(now, tat, tail + interval)
redis.call('SET', KEYS[2], turn, 'PX', turn - now + interval + 1000)
return turn - now
"""


class Throttle:
    """At most `per_minute` permits a minute, one every 60/per_minute seconds, shared through Redis."""

    def __init__(self, connection: Redis, per_minute: int, prefix: str = KEY_PREFIX) -> None:
        if not isinstance(per_minute, int) or per_minute <= 0:
            raise ValueError("per_minute must be a positive whole number")
        self.connection = connection
        self.per_minute = per_minute
        self.interval_ms = max(1, round(60_000 / per_minute))
        self._keys = [f"{prefix}:tat", f"{prefix}:hold", f"{prefix}:tail"]
        self._acquire = connection.register_script(_ACQUIRE)
        self._turn = connection.register_script(_TURN)
        self._hold = connection.register_script(_HOLD)

    @property
    def interval(self) -> float:
        """Seconds between two permits."""
        return self.interval_ms / 1000

    def acquire(self, urgent: bool = False, has_turn: bool = False) -> float:
        """Take a permit: 0.0 if granted now, else the seconds to wait before asking again.

        An urgent caller goes before ordinary ones (they are told to wait while it waits); an ordinary
        caller without a turn waits behind those deferred with `turn` before it.
        """
        waited = self._acquire(keys=self._keys, args=[self.interval_ms, int(urgent), int(has_turn)])
        return int(waited) / 1000

    def turn(self) -> float:
        """Seconds from now until the next free turn for a sender that cannot wait (each caller gets its own)."""
        return int(self._turn(keys=[self._keys[0], self._keys[2]], args=[self.interval_ms])) / 1000

    def hold(self, seconds: float) -> None:
        """Keep ordinary senders out for `seconds` (at least): an urgent sender deferred to its permit comes back
        then, and must not find it taken by an ordinary one (a longer hold already set stays)."""
        self._hold(keys=[self._keys[1]], args=[max(1, round(seconds * 1000))])

    def reset(self) -> None:
        """Forget every permit and turn (tests and benchmarks)."""
        self.connection.delete(*self._keys)


def is_throttled(config: Mapping[str, Any]) -> bool:
    """True if the configured backend sends through a throttle (the phone: one request per message)."""
    return str(config.get("SMS_BACKEND") or "").strip().lower() == "smsgate"


def throttle_for(config: Mapping[str, Any], connection: Redis) -> Throttle | None:
    """The throttle of the configured backend: the phone's SMSGATE_MAX_PER_MINUTE, or None (no throttle)."""
    if not is_throttled(config):
        return None
    return Throttle(connection, int(config.get("SMSGATE_MAX_PER_MINUTE") or 20))


def sends_per_minute(config: Mapping[str, Any]) -> int | None:
    """SMS a minute the configured gateway lets through (None: no throttle): what a broadcast's preview estimates
    its sending time from. The one place that knows it, so a pool of phones can answer its total here."""
    if not is_throttled(config):
        return None
    return int(config.get("SMSGATE_MAX_PER_MINUTE") or 20)
