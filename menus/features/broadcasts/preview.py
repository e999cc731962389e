"""What a broadcast will be before it goes: who gets it (and who was left out, why), each language's text as it
will go with its SMS segments and cost, and when it will have gone out (quiet hours, the broadcasts' share of
SMS_DAILY_LIMIT left today, the gateway's sends a minute)."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter
from dataclasses import dataclass

from redis.exceptions import RedisError

from models.base import utcnow
from models.broadcast import Audience, Segment, audience
from models.connections import redis
from models.gsm import sms_size
from models.settings import QUIET_HOURS, SETTINGS, quiet_hours_end, to_local, to_utc
from models.sms_quota import BROADCASTS, SERVICE, SmsQuota, share_limit

log = logging.getLogger(__name__)

MAX_DAYS = 366
"""Days the estimate looks ahead (a broadcast that would take longer says so)."""


@dataclass(frozen=True)
class LanguageText:
    """One language's text as it will go, to how many, in how many segments, at what cost."""

    language: str
    text: str
    recipients: int
    segments: int
    encoding: str
    cost: int


@dataclass(frozen=True)
class Schedule:
    """When a broadcast will have gone out: it starts, goes on for `days` local days, ends (naive UTC)."""

    starts_at: dt.datetime
    ends_at: dt.datetime | None
    """None: longer than MAX_DAYS."""
    days: int
    share_left_today: int
    share_per_day: int
    per_minute: int | None
    """The gateway's sends a minute (None: no throttle)."""


@dataclass(frozen=True)
class Preview:
    """Everything shown before a broadcast goes."""

    recipients: int
    left_out: dict[str, int]
    texts: list[LanguageText]
    cost: int
    segments: int
    schedule: Schedule


def as_sent(text: str) -> str:
    """The text as the service sends it (SMS_PREFIX first, as on everything the service starts)."""
    return f"{SETTINGS.sms_prefix} {text}" if SETTINGS.sms_prefix else text


def texts_by_language(texts: dict[str, str], found: Audience, cost_per_segment: int) -> list[LanguageText]:
    """Per language with a text: the text as sent and who gets it (those without a text in theirs get the default
    language's)."""
    default = SETTINGS.default_language
    counts = Counter(lang if lang in texts else default for lang in (lang or default for _, lang in found.recipients))
    shown = []
    for language in sorted(texts, key=lambda lang: (lang != default, lang)):
        text = as_sent(texts[language])
        size = sms_size(text)
        count = counts.get(language, 0)
        shown.append(
            LanguageText(language, text, count, size.segments, size.encoding, count * size.segments * cost_per_segment)
        )
    return shown


def share_left(now: dt.datetime) -> int:
    """SMS broadcasts may still send on the local day of naive UTC `now` (their half, within the service's share);
    0 if the counters cannot be read (Redis down: they fail closed)."""
    daily = SETTINGS.sms_daily_limit
    day = to_local(now).date()
    try:
        quota = SmsQuota(redis())
        broadcasts = share_limit(daily, BROADCASTS) - quota.spent(day, BROADCASTS)
        service = share_limit(daily, SERVICE) - quota.spent(day, SERVICE)
    except RedisError as error:
        log.warning("SMS limits unavailable for a broadcast preview (%s)", type(error).__name__)
        return 0
    return max(0, min(broadcasts, service))


def schedule(count: int, now: dt.datetime, per_minute: int | None, left_today: int) -> Schedule:
    """When `count` SMS will have gone from naive UTC `now`: they wait for 06:00 in quiet hours, take at most the
    broadcasts' share a day (`left_today` of it today), and go at `per_minute` (None: at once) until 21:00."""
    per_day = share_limit(SETTINGS.sms_daily_limit, BROADCASTS)
    start = quiet_hours_end(now) or now
    left = left_today if to_local(start).date() == to_local(now).date() else per_day
    at, remaining, days, ends = start, count, 1, None
    while days <= MAX_DAYS:
        local_day = to_local(at).date()
        closes = to_utc(dt.datetime.combine(local_day, QUIET_HOURS[0], tzinfo=SETTINGS.timezone))
        by_rate = math.inf if per_minute is None else math.floor((closes - at).total_seconds() / 60 * per_minute)
        goes = int(min(remaining, left, by_rate))
        remaining -= goes
        if remaining <= 0:
            ends = at if per_minute is None else at + dt.timedelta(minutes=goes / per_minute)
            break
        days += 1
        at = to_utc(dt.datetime.combine(local_day + dt.timedelta(days=1), QUIET_HOURS[1], tzinfo=SETTINGS.timezone))
        left = per_day
    return Schedule(start, ends, days, left_today, per_day, per_minute)


def preview(
    texts: dict[str, str],
    segment: Segment,
    *,
    cost_per_segment: int,
    per_minute: int | None,
    now: dt.datetime | None = None,
) -> Preview:
    """The preview of `texts` (checked) to `segment` (checked) at naive UTC `now`, SMS_COST `cost_per_segment`
    and the gateway's `per_minute` (`workers.throttle.sends_per_minute`, passed in by the service)."""
    now = now or utcnow()
    found = audience(segment, SETTINGS.default_language)
    shown = texts_by_language(texts, found, cost_per_segment)
    return Preview(
        recipients=found.count,
        left_out=found.left_out,
        texts=shown,
        cost=sum(t.cost for t in shown),
        segments=sum(t.recipients * t.segments for t in shown),
        schedule=schedule(found.count, now, per_minute, share_left(now)),
    )
