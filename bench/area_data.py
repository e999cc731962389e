"""A district's records for the console's benchmarks: the villages, the staff, the people and the cases, from the
digest benchmark's generator (`bench/digest_data.py`)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from bench.digest_data import Expected, Loader, cases, people, staff_rows
from models import utcnow
from models.digest_period import PERIOD_KINDS, last_complete
from service.cli import DEMO_VILLAGES


@dataclass
class Area:
    """What the generator used, for records generated after the area's (trainings, enrollments)."""

    now: dt.datetime
    expected: Expected
    rng: random.Random
    villages: list[str | None]


def fill_area(load: Loader, how_many_people: int, how_many_cases: int) -> Area:
    """Load the villages, the staff, `how_many_people` people and `how_many_cases` cases."""
    now = utcnow().replace(microsecond=0)
    expected = Expected({kind: last_complete(kind, now) for kind in PERIOD_KINDS}, now)
    rng = random.Random(2026)
    load("village", [(name, position) for position, name in enumerate(DEMO_VILLAGES)])
    staff = staff_rows(now)
    load("staff", staff)
    handlers = [
        (row[0], row[1].split()[0] if row[5] else None) for row in staff if row[2] in ("organizer", "coordinator")
    ]
    villages: list[str | None] = []
    load("person", people(rng, how_many_people, expected, villages, False))
    load("case", cases(rng, how_many_cases, expected, villages, handlers, False))
    return Area(now, expected, rng, villages)
