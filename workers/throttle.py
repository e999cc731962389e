"""The send throttle of the phone backend: at most N sends a minute across all workers, evenly spaced, urgent first.

A GCRA (generic cell rate algorithm) in one Redis Lua script, on the service's clock (`models.utcnow`, which the
caller passes in: every host keeps it by NTP, and tests and `bench/pool.py` move it with time-machine instead of
waiting). Why not a library: `limits` (the well-kept one on PyPI, 5.x, Redis storage) counts hits in fixed or
moving windows of whole seconds, so 600 a minute would be "600 per 60 s" and let all 600 go in the first
second (a SIM and a carrier's bulk filter see a burst), and 20 a minute cannot be said as an even "1 per 3 s"
for every N; it has no priority and cannot tell a caller how long to wait. GCRA with no burst tolerance
grants one permit every 60/N seconds (so no 1-second window holds more than its even share + 1), answers
"wait this long" instead of a yes/no, and fits in a dozen lines.

Each phone of a pool has its own throttle (`PhoneSettings.throttle_prefix`). Three keys, kept an hour past the
time they speak of (Redis expires them on its own clock, which a moved service clock does not move): `tat` (the
theoretical arrival time of the next permit), `hold` (an urgent sender is waiting: ordinary senders step aside
until it got its permit) and `tail` (the last turn handed to an ordinary sender that could not wait: they come back
in the order they were deferred, and a newcomer queues behind them rather than jumping in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from models.base import utcnow
from workers.gateways.phones import PhoneSettings, phones_of
from workers.gateways.rotation import read_states
from workers.queues import redis

KEY_PREFIX = "smsgate:throttle"
"""Redis keys of the throttle (`:tat`, `:hold`, `:tail`)."""

URGENT_HOLD_SLACK_MS = 250
"""How long past its permit time an urgent sender keeps ordinary ones out (it sleeps, then asks again)."""

UNPACED_ABOVE = 60_000
"""A rate above this many a minute (an interval under a millisecond) grants every permit at once: tests that do not
test the throttle use one, so that a journey on a clock they stand still never waits for its turn."""

KEEP_MS = 3_600_000
"""How long past the time it speaks of a key is kept (Redis expires it on its own clock: a service clock moved
forward by a test or a benchmark must not find its permits forgotten)."""


def service_ms() -> int:
    """Now on the service's clock, in milliseconds since the epoch (what every throttle compares)."""
    return int(utcnow().replace(tzinfo=dt.UTC).timestamp() * 1000)


_ACQUIRE = """
local now = tonumber(ARGV[4])
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
redis.call('SET', KEYS[1], tat + interval, 'PX', tat - now + interval + %(keep)d)
if urgent then redis.call('DEL', KEYS[2]) end
return 0
""" % {"slack": URGENT_HOLD_SLACK_MS, "keep": KEEP_MS}

_HOLD = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1])) end
return 0
"""

_TURN = """
local now = tonumber(ARGV[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local tail = tonumber(redis.call('GET', KEYS[2]) or '0')
local turn = math.max(now, tat, tail + interval)
redis.call('SET', KEYS[2], turn, 'PX', turn - now + interval + %(keep)d)
return turn - now
""" % {"keep": KEEP_MS}


class Throttle:
    """At most `per_minute` permits a minute, one every 60/per_minute seconds, shared through Redis."""

    def __init__(
        self, connection: Redis, per_minute: int, prefix: str = KEY_PREFIX, clock: Callable[[], int] = service_ms
    ) -> None:
        if not isinstance(per_minute, int) or per_minute <= 0:
            raise ValueError("per_minute must be a positive whole number")
        self.connection = connection
        self.clock = clock
        self.per_minute = per_minute
        self.interval_ms = 60_000 // per_minute if per_minute > UNPACED_ABOVE else max(1, round(60_000 / per_minute))
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
        waited = self._acquire(keys=self._keys, args=[self.interval_ms, int(urgent), int(has_turn), self.clock()])
        return int(waited) / 1000

    def turn(self) -> float:
        """Seconds from now until the next free turn for a sender that cannot wait (each caller gets its own)."""
        return int(self._turn(keys=[self._keys[0], self._keys[2]], args=[self.interval_ms, self.clock()])) / 1000

    def next_free(self) -> tuple[float, float]:
        """Seconds from now until (the next permit, the next free turn): how loaded the phone is, for routing."""
        now = self.clock()
        tat, tail = (int(v or 0) for v in self.connection.mget([self._keys[0], self._keys[2]]))
        return max(0, tat - now) / 1000, max(0, tat - now, tail + self.interval_ms - now) / 1000

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


def phone_throttle(phone: PhoneSettings, connection: Redis) -> Throttle:
    """The throttle of one phone of the pool (the single phone's keeps the keys it always had)."""
    return Throttle(connection, phone.max_per_minute, phone.throttle_prefix)


def sends_per_minute(config: Mapping[str, Any]) -> int | None:
    """SMS a minute the configured gateway lets through (None: no throttle): what a broadcast's preview estimates
    its sending time from. The one place that knows it: on the phone backend, the combined rate of the phones in
    rotation (all of them when none is, or when Redis cannot say)."""
    if not is_throttled(config):
        return None
    phones = phones_of(config)
    try:
        states = read_states(redis(), phones, utcnow())
    except RedisError:
        return sum(p.max_per_minute for p in phones)
    return sum(s.phone.max_per_minute for s in states if s.in_rotation) or sum(p.max_per_minute for p in phones)
