"""The digest benchmark's data: a large district's two years generated from a seed, and its bulk loading.

200,000 registered people in 8 villages, 1,000,000 cases, 2,000 trainings of 20 enrollments each (attendance and
follow-up answers), the villages and the staff a digest goes to (a regency official, three village heads, a
coordinator, organisers holding the taken cases), all scaled by `fill`'s `scale`. Rows come as they happen,
oldest first (`shuffled`: in random time order). While generating, `Expected` keeps the figures a digest must
find. Loading is by COPY on PostgreSQL and executemany on SQLite. `bench/digest.py` times and reports.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

from models import database
from models.case_terms import CODE_ALPHABET, CODE_LENGTH, OPEN_STATUSES, UNACKNOWLEDGED, ack_minutes, severity_of
from models.digest_figures import ALL
from models.digest_period import PERIOD_KINDS, Period
from models.person import CONSENT_VERSION, COUNTRIES, STATUSES_WITH_COUNTRY
from models.training_terms import KINDS, step_due
from service.cli import DEMO_VILLAGES

PEOPLE, CASES, TRAININGS, ENROLLED = 200_000, 1_000_000, 2_000, 20
DAYS = 730
"""Registrations, cases and trainings are spread over the two years before `now`."""
SEED = 2026
CHUNK = 50_000
"""Rows per COPY."""

VILLAGE_WEIGHTS = (22, 16, 14, 12, 11, 10, 8, 7)
HEADS = (
    ("+6281100000002", "Pak Darto Kades", "Tracap"),
    ("+6281100000003", "Bu Sri Kades", "Kaliwiro"),
    ("+6281100000004", "Pak Yusuf Kades", "Lamuk"),
)
"""Village heads (officials with a village): each village is a digest scope of its own."""
OTHERS = (
    ("+6281100000001", "Pak Bambang Disnakertrans", "official", None, True),
    ("+6281100000005", "Bu Rina Koordinator", "coordinator", None, True),
    *(
        (f"+62811000001{i:02d}", name, "organizer", village, i != 5)
        for i, (name, village) in enumerate(
            (
                ("Siti Pengurus", "Tracap"),
                ("Agus Pengurus", "Kaliwiro"),
                ("Dewi Pengurus", "Pesodongan"),
                ("Joko Pengurus", "Lamuk"),
                ("Wati Pengurus", "Selomanik"),
                ("Budi Lama", "Gondowulan"),
            )
        )
    ),
)
"""The regency official, the coordinator and the organisers (Budi Lama is inactive: his cases are not listed)."""
AGENCY = "+6281100000001"
"""Where referred cases go (the regency official)."""
CATEGORY_WEIGHTS = {
    "wages": 30,
    "documents": 15,
    "violence": 8,
    "confined": 5,
    "deceived": 15,
    "stranded": 10,
    "illness": 7,
    "other": 10,
}
STATUS_BY_AGE = (
    (2, {"new": 30, "acknowledged": 35, "referred": 15, "resolved": 20}),
    (90, {"new": 3, "acknowledged": 12, "referred": 15, "reopened": 2, "resolved": 68}),
    (DAYS, {"new": 0.1, "acknowledged": 0.5, "referred": 1.5, "reopened": 0.1, "resolved": 97.8}),
)
"""Case statuses by age in days: recent cases are mostly open, old ones resolved (about 6% open in all)."""

COLUMNS = {
    "village": ("name", "position"),
    "staff": ("phone", "name", "role", "village", "language", "active", "created_at"),
    "person": (
        "phone",
        "name",
        "village",
        "status",
        "country",
        "language",
        "consent_at",
        "consent_version",
        "registered_via",
        "registration_key",
        "opted_out_at",
        "unsafe_at",
        "created_at",
        "updated_at",
    ),
    "case": (
        "code",
        "reporter_phone",
        "for_whom",
        "category",
        "severity",
        "country",
        "village",
        "safe_to_contact",
        "safe_phone",
        "story",
        "consent_to_refer",
        "status",
        "assignee",
        "referred_to",
        "channel",
        "incomplete",
        "source_key",
        "ack_due_at",
        "escalation_level",
        "next_escalation_at",
        "created_at",
        "updated_at",
        "acknowledged_at",
        "referred_at",
        "resolved_at",
    ),
    "training": ("code", "title", "kind", "starts_at", "place", "capacity", "status", "created_at", "updated_at"),
    "enrollment": (
        "training_id",
        "phone",
        "status",
        "queued_at",
        "asked_stage",
        "asked_at",
        "answer_30",
        "answered_30_at",
        "answer_90",
        "answered_90_at",
        "created_at",
        "updated_at",
    ),
}

Loader = Callable[[str, Iterable[tuple]], None]
"""Loads rows (in the column order of COLUMNS) into the named table."""


# Data: generated from a seed, with the figures a digest must find kept on the way


def table(weights: dict[str, float]) -> list[str]:
    """A list to draw from uniformly that gives each key its weight (to a tenth of a percent)."""
    total = sum(weights.values())
    return [key for key, weight in weights.items() for _ in range(round(1000 * weight / total))]


def draw(rng: random.Random, values: list) -> object:
    """One value of `values`, uniformly."""
    return values[int(rng.random() * len(values))]


@dataclass
class Expected:
    """What every figure must come to, counted while the rows are generated: (period kind, scope, figure) -> n."""

    periods: dict[str, Period]
    now: dt.datetime
    counts: Counter = field(default_factory=Counter)
    waiting: Counter = field(default_factory=Counter)

    def add(self, kinds: Iterable[str], village: str | None, figure: str, n: int = 1) -> None:
        """Count `n` towards `figure` in each period kind, for the whole area and for `village` if any."""
        for kind in kinds:
            self.counts[kind, ALL, figure] += n
            if village:
                self.counts[kind, village, figure] += n

    def __post_init__(self) -> None:
        self.bounds = [(kind, period.start, period.end) for kind, period in self.periods.items()]

    def within(self, when: dt.datetime | None) -> list[str]:
        """The period kinds `when` falls in."""
        return [] if when is None else [kind for kind, start, end in self.bounds if start <= when < end]


def phone(i: int) -> str:
    """The i-th generated person's number."""
    return f"+62813{i:08d}"


def case_code(i: int) -> str:
    """A distinct, random-looking case code for each i (a bijection of 0..23^6-1)."""
    n, letters = (i * 2654435761 + 12345) % len(CODE_ALPHABET) ** CODE_LENGTH, []
    for _ in range(CODE_LENGTH):
        n, digit = divmod(n, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[digit])
    return "".join(letters)


def staff_rows(now: dt.datetime) -> list[tuple]:
    """The village heads, the regency official, the coordinator and the organisers."""
    created = now - dt.timedelta(days=DAYS + 30)
    return [(p, name, "official", village, "id", True, created) for p, name, village in HEADS] + [
        (p, name, role, village, "id", active, created) for p, name, role, village, active in OTHERS
    ]


def ages(rng: random.Random, count: int, shuffled: bool) -> list[int]:
    """Seconds before `now` of `count` events over two years: oldest first (rows are added as things happen),
    or in random order when `shuffled` (each period's rows spread over the whole table)."""
    seconds = [int(rng.random() * DAYS * 86400) + 1 for _ in range(count)]
    return seconds if shuffled else sorted(seconds, reverse=True)


def people(
    rng: random.Random, count: int, expected: Expected, villages: list[str | None], shuffled: bool
) -> Iterator[tuple]:
    """Registered people; appends each one's village to `villages` (cases and enrollments read it)."""
    village_table, status_table = (
        table(dict(zip(DEMO_VILLAGES, VILLAGE_WEIGHTS))),
        table({"calon": 25, "aktif": 40, "purna": 25, "keluarga": 10}),
    )
    for i, age in enumerate(ages(rng, count, shuffled)):
        village = draw(rng, village_table) if rng.random() >= 0.02 else None
        status = draw(rng, status_table)
        consent = expected.now - dt.timedelta(seconds=age)
        villages.append(village)
        expected.add(expected.within(consent), village, "registrations")
        country = draw(rng, COUNTRIES) if status in STATUSES_WITH_COUNTRY else None
        via = "ussd" if rng.random() < 0.8 else "sms"
        yield (
            phone(i),
            f"Warga {i}",
            village,
            status,
            country,
            "id",
            consent,
            CONSENT_VERSION,
            via,
            f"bench:{i}",
            None,
            None,
            consent,
            consent,
        )


def cases(
    rng: random.Random,
    count: int,
    expected: Expected,
    villages: list[str | None],
    handlers: list[tuple[str, str | None]],
    shuffled: bool,
) -> Iterator[tuple]:
    """Cases over two years: the open ones mostly recent, the taken ones assigned to the organisers."""
    now, every = expected.now, list(PERIOD_KINDS)
    categories = table(CATEGORY_WEIGHTS)
    statuses = [(days, table(weights)) for days, weights in STATUS_BY_AGE]
    story = "Majikan tidak bayar gaji tiga bulan, paspor ditahan agen."
    for i, age in enumerate(ages(rng, count, shuffled)):
        created = now - dt.timedelta(seconds=age)
        reporter = int(rng.random() * len(villages))
        village, category = villages[reporter], draw(rng, categories)
        severity = severity_of(category)
        window = ack_minutes(severity) * 60
        due = created + dt.timedelta(seconds=window)
        status = draw(rng, next(t for days, t in statuses if age <= days * 86400))
        assignee, handler = draw(rng, handlers) if status != "new" else (None, None)
        acknowledged = referred_at = resolved = referred_to = next_escalation = None
        if status != "new":
            acknowledged = created + dt.timedelta(seconds=int(rng.random() * min(window, age)))
        if status == "referred" or (status == "resolved" and rng.random() < 0.2):
            referred_to = AGENCY
            referred_at = acknowledged + (now - acknowledged) * (rng.random() * 0.5)
        if status == "resolved":
            resolved = created + min(dt.timedelta(hours=1 + rng.random() * 720), (now - created) * 0.99)
            resolved = resolved.replace(microsecond=0)
        if status == "reopened":
            assignee = handler = None
            reopened = created + (now - created) * rng.random()
            due = (reopened + dt.timedelta(seconds=window)).replace(microsecond=0)
        if status in UNACKNOWLEDGED:
            next_escalation = due if due > now else now + dt.timedelta(hours=1)
        updated = max(t for t in (created, acknowledged, referred_at, resolved) if t is not None)
        expected.add(expected.within(created), village, "reports")
        if severity == "urgent":
            expected.add(expected.within(created), village, "urgent")
        expected.add(expected.within(resolved), village, "resolved")
        if status in OPEN_STATUSES:
            expected.add(every, village, "open")
            expected.add(every if status in UNACKNOWLEDGED and due < now else (), village, "overdue")
            expected.add(every if status == "referred" else (), village, "referred_waiting")
        if handler is not None and status in ("acknowledged", "reopened", "referred"):
            expected.waiting[handler] += 1
        yield (
            case_code(i),
            phone(reporter),
            draw(rng, ["self"] * 14 + ["family"] * 5 + ["other"]),
            category,
            severity,
            draw(rng, COUNTRIES),
            village,
            rng.random() < 0.7,
            None,
            story if rng.random() < 0.5 else None,
            rng.random() < 0.6,
            status,
            assignee,
            referred_to,
            "ussd" if rng.random() < 0.8 else "sms",
            rng.random() < 0.01,
            f"bench-digest:{i}",
            due,
            0 if due > now else 1,
            next_escalation,
            created,
            updated,
            acknowledged,
            referred_at,
            resolved,
        )


def trainings(rng: random.Random, count: int, now: dt.datetime) -> list[tuple]:
    """Trainings over two years and the next month: held or cancelled when past, planned when to come."""
    rows = []
    for i in range(count):
        starts = now - dt.timedelta(days=DAYS) + dt.timedelta(seconds=int(rng.random() * (DAYS + 30) * 86400))
        starts = starts.replace(minute=0, second=0)
        status = "planned" if starts > now else ("cancelled" if rng.random() < 0.1 else "held")
        created = starts - dt.timedelta(days=30)
        rows.append(
            (
                f"BD{i:05d}",
                f"Pelatihan {i}",
                draw(rng, list(KINDS)),
                starts,
                "Balai Desa",
                ENROLLED,
                status,
                created,
                created,
            )
        )
    return rows


def enrollments(
    rng: random.Random, rows: list[tuple], ids: dict[str, int], expected: Expected, villages: list[str | None]
) -> Iterator[tuple]:
    """Twenty people a training; at held ones three in four attended and most answer the follow-ups."""
    now = expected.now
    answers = table({"applied": 50, "not_yet": 35, "help": 15})
    for code, _, _, starts, _, _, status, _, _ in rows:
        held_in = expected.within(starts) if status == "held" else []
        attending: set[str | None] = set()
        for person in rng.sample(range(len(villages)), ENROLLED):
            village = villages[person]
            queued = starts - dt.timedelta(days=1 + int(rng.random() * 20))
            state = {"planned": "signed_up", "cancelled": "cancelled"}.get(status) or (
                "attended" if rng.random() < 0.75 else "absent"
            )
            asked_stage = asked_at = None
            answered = {30: (None, None), 90: (None, None)}
            if state == "attended":
                attending.add(village)
                expected.add(held_in, village, "attended")
                for days in (30, 90):
                    due = step_due(f"followup{days}", starts)
                    if due > now:
                        break
                    asked_stage, asked_at = days, due
                    if rng.random() < 0.8:
                        at = min(
                            due + dt.timedelta(seconds=int(rng.random() * 3 * 86400)), now - dt.timedelta(seconds=1)
                        )
                        answer = draw(rng, answers)
                        answered[days] = (answer, at)
                        expected.add(expected.within(at), village, "answered")
                        expected.add(expected.within(at) if answer == "applied" else (), village, "applied")
            updated = max([queued, *(at for _, at in answered.values() if at)])
            yield (
                ids[code],
                phone(person),
                state,
                queued,
                asked_stage,
                asked_at,
                *answered[30],
                *answered[90],
                queued,
                updated,
            )
        for kind in held_in:
            expected.counts[kind, ALL, "trainings_held"] += 1
            for village in attending - {None}:
                expected.counts[kind, village, "trainings_held"] += 1


# Loading: COPY on PostgreSQL, executemany on SQLite; both in the column order of COLUMNS


def copy_value(value: object) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    return str(value)


def load_postgres(url: str) -> Loader:
    """A loader that COPYs rows into the PostgreSQL database at `url`, CHUNK rows at a time."""

    def load(name: str, rows: Iterable[tuple]) -> None:
        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            rows = iter(rows)
            while batch := list(itertools.islice(rows, CHUNK)):
                text = "".join("\t".join(map(copy_value, row)) + "\n" for row in batch)
                cursor.copy_expert(f'COPY "{name}" ({", ".join(COLUMNS[name])}) FROM STDIN', io.StringIO(text))
        connection.close()

    return load


def load_sqlite(path: Path) -> Loader:
    """A loader that inserts rows into the SQLite file at `path` (one transaction a table)."""

    def load(name: str, rows: Iterable[tuple]) -> None:
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes of a million cases stay cached
        try:
            with connection:  # sqlite3 adapts datetimes as peewee's queries do (isoformat with a space)
                connection.executemany(
                    f'INSERT INTO "{name}" ({", ".join(COLUMNS[name])}) VALUES ({", ".join("?" * len(COLUMNS[name]))})',
                    rows,
                )
        finally:
            connection.close()

    return load


def fill(load: Loader, scale: float, expected: Expected, shuffled: bool) -> dict[str, int]:
    """Generate and load every table; return the rows loaded by table."""
    rng, now = random.Random(SEED), expected.now
    sizes = {
        "people": max(ENROLLED, round(PEOPLE * scale)),
        "cases": round(CASES * scale),
        "trainings": max(1, round(TRAININGS * scale)),
    }
    load("village", [(name, position) for position, name in enumerate(DEMO_VILLAGES)])
    staff = staff_rows(now)
    load("staff", staff)
    handlers = [
        (row[0], row[1].split()[0] if row[5] else None)  # (phone, first name if active)
        for row in staff
        if row[2] in ("organizer", "coordinator")
    ]
    villages: list[str | None] = []
    load("person", people(rng, sizes["people"], expected, villages, shuffled))
    load("case", cases(rng, sizes["cases"], expected, villages, handlers, shuffled))
    held = trainings(rng, sizes["trainings"], now)
    load("training", held)
    ids = dict(database.execute_sql('SELECT code, id FROM "training"').fetchall())
    load("enrollment", enrollments(rng, held, ids, expected, villages))
    return {**sizes, "enrollments": sizes["trainings"] * ENROLLED}
