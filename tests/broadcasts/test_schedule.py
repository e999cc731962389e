"""When a broadcast will have gone out, as its preview says: quiet hours (21:00-06:00 Jakarta) hold it to the
morning, the broadcasts' half of SMS_DAILY_LIMIT (the tests' 2000: 1000 a day, `left` of it today) spreads it over
days, and the phone's sends a minute stretch each day's share until 21:00."""

from __future__ import annotations

import datetime as dt

import pytest

from menus.features.broadcasts.preview import schedule
from tests.support.clock import JAKARTA, stored


def local(text: str) -> dt.datetime:
    return stored(dt.datetime.fromisoformat(text).replace(tzinfo=JAKARTA))


@pytest.mark.parametrize(
    ("now", "count", "per_minute", "left", "starts", "ends", "days"),
    [
        ("2026-11-30 10:00", 300, None, 1000, "2026-11-30 10:00", "2026-11-30 10:00", 1),
        ("2026-11-30 10:00", 300, 20, 1000, "2026-11-30 10:00", "2026-11-30 10:15", 1),
        ("2026-11-30 10:00", 1500, None, 1000, "2026-11-30 10:00", "2026-12-01 06:00", 2),
        ("2026-11-30 10:00", 1500, None, 200, "2026-11-30 10:00", "2026-12-02 06:00", 3),
        ("2026-11-30 22:30", 300, None, 0, "2026-12-01 06:00", "2026-12-01 06:00", 1),
        ("2026-12-01 03:00", 300, None, 1000, "2026-12-01 06:00", "2026-12-01 06:00", 1),
        ("2026-11-30 20:50", 300, 20, 1000, "2026-11-30 20:50", "2026-12-01 06:05", 2),
        ("2026-11-30 10:00", 20000, 20, 1000, "2026-11-30 10:00", "2026-12-19 06:50", 20),
    ],
)
def test_when_it_will_have_gone(app, now, count, per_minute, left, starts, ends, days):
    plan = schedule(count, local(now), per_minute, left)
    assert (plan.starts_at, plan.ends_at, plan.days) == (local(starts), local(ends), days)
    assert plan.share_per_day == 1000
