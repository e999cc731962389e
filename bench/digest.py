"""Digest figures at scale: every scope's week and month figures over two years of a large district's data.

Run from the repo root: `.venv/bin/python bench/digest.py [--runs 7] [--explain [full]] [--sqlite-scale 1]`.

It creates its own PostgreSQL database (`km_bench_digest` on 127.0.0.1:5432, user postgres; `--use-env` fills
DATABASE_URL instead, which must hold no people, cases or trainings), migrates it and loads by COPY 200,000
registered people in 8 villages, 1,000,000 cases, 2,000 trainings of 20 enrollments each (attendance and
follow-up answers), the villages and the staff a digest goes to (a regency official, three village heads, a
coordinator, organisers holding the taken cases). Rows come as they happen, oldest first (`--shuffled`: in
random time order, the worst case for reading a period); then VACUUM ANALYZE. It times what a digest run asks
of the database: `compute(last_complete(kind, now), villages, now)` for the week and the month (the whole
area and each village head's village) and `waiting_by_organiser()`, then each of their statements alone, and
checks every figure against counts kept while generating. The same data (same seed and `now`) then goes into
a throwaway SQLite file, timed as deployed (the service never runs ANALYZE) and after ANALYZE. It prints
figures; it asserts nothing about time. The databases are dropped at the end (`--keep` keeps them).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import peewee
import psycopg2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from models import bind_database, database, utcnow  # noqa: E402
from models.case_terms import (CODE_ALPHABET, CODE_LENGTH, OPEN_STATUSES, UNACKNOWLEDGED, ack_minutes,  # noqa: E402
                               severity_of)
from models.digest_figures import ALL, Figures, compute, waiting_by_organiser  # noqa: E402
from models.digest_period import PERIOD_KINDS, Period, last_complete  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.person import CONSENT_VERSION, COUNTRIES, STATUSES_WITH_COUNTRY  # noqa: E402
from models.training_terms import KINDS, step_due  # noqa: E402
from service.cli import DEMO_VILLAGES  # noqa: E402
from workers.digest_jobs import village_heads_villages  # noqa: E402

PEOPLE, CASES, TRAININGS, ENROLLED = 200_000, 1_000_000, 2_000, 20
DAYS = 730
"""Registrations, cases and trainings are spread over the two years before `now`."""
SEED = 2026
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "km_bench_digest"
TARGET_SECONDS = 1.0
"""Every scope's week figures (compute and the coordinators' waiting list) in at most this."""
CHUNK = 50_000
"""Rows per COPY."""

VILLAGE_WEIGHTS = (22, 16, 14, 12, 11, 10, 8, 7)
HEADS = (("+6281100000002", "Pak Darto Kades", "Tracap"), ("+6281100000003", "Bu Sri Kades", "Kaliwiro"),
         ("+6281100000004", "Pak Yusuf Kades", "Lamuk"))
"""Village heads (officials with a village): each village is a digest scope of its own."""
OTHERS = (("+6281100000001", "Pak Bambang Disnakertrans", "official", None, True),
          ("+6281100000005", "Bu Rina Koordinator", "coordinator", None, True),
          *((f"+62811000001{i:02d}", name, "organizer", village, i != 5) for i, (name, village) in enumerate(
              (("Siti Pengurus", "Tracap"), ("Agus Pengurus", "Kaliwiro"), ("Dewi Pengurus", "Pesodongan"),
               ("Joko Pengurus", "Lamuk"), ("Wati Pengurus", "Selomanik"), ("Budi Lama", "Gondowulan")))))
"""The regency official, the coordinator and the organisers (Budi Lama is inactive: his cases are not listed)."""
AGENCY = "+6281100000001"
"""Where referred cases go (the regency official)."""
CATEGORY_WEIGHTS = {"wages": 30, "documents": 15, "violence": 8, "confined": 5, "deceived": 15, "stranded": 10,
                    "illness": 7, "other": 10}
STATUS_BY_AGE = ((2, {"new": 30, "acknowledged": 35, "referred": 15, "resolved": 20}),
                 (90, {"new": 3, "acknowledged": 12, "referred": 15, "reopened": 2, "resolved": 68}),
                 (DAYS, {"new": 0.1, "acknowledged": 0.5, "referred": 1.5, "reopened": 0.1, "resolved": 97.8}))
"""Case statuses by age in days: recent cases are mostly open, old ones resolved (about 6% open in all)."""
COMPUTE_STATEMENTS = ("registrations", "reports", "open/overdue/referred", "resolved", "trainings held",
                      "attended", "follow-up answers")
"""The statements `compute` runs, in its order."""
FIGURES = ("registrations", "reports", "urgent", "open", "overdue", "referred_waiting", "resolved",
           "trainings_held", "attended", "answered", "applied")

COLUMNS = {
    "village": ("name", "position"),
    "staff": ("phone", "name", "role", "village", "language", "active", "created_at"),
    "person": ("phone", "name", "village", "status", "country", "language", "consent_at", "consent_version",
               "registered_via", "registration_key", "opted_out_at", "unsafe_at", "created_at", "updated_at"),
    "case": ("code", "reporter_phone", "for_whom", "category", "severity", "country", "village", "safe_to_contact",
             "safe_phone", "story", "consent_to_refer", "status", "assignee", "referred_to", "channel", "incomplete",
             "source_key", "ack_due_at", "escalation_level", "next_escalation_at", "created_at", "updated_at",
             "acknowledged_at", "referred_at", "resolved_at"),
    "training": ("code", "title", "kind", "starts_at", "place", "capacity", "status", "created_at", "updated_at"),
    "enrollment": ("training_id", "phone", "status", "queued_at", "asked_stage", "asked_at", "answer_30",
                   "answered_30_at", "answer_90", "answered_90_at", "created_at", "updated_at"),
}


# Data: generated from a seed, with the figures a digest must find kept on the way


def table(weights: dict[str, float]) -> list[str]:
    """A list to draw from uniformly that gives each key its weight (to a tenth of a percent)."""
    total = sum(weights.values())
    return [key for key, weight in weights.items() for _ in range(round(1000 * weight / total))]


def draw(rng: random.Random, values: list) -> object:
    return values[int(rng.random() * len(values))]


@dataclass
class Expected:
    """What every figure must come to, counted while the rows are generated: (period kind, scope, figure) -> n."""

    periods: dict[str, Period]
    now: dt.datetime
    counts: Counter = field(default_factory=Counter)
    waiting: Counter = field(default_factory=Counter)

    def add(self, kinds: Iterable[str], village: str | None, figure: str, n: int = 1) -> None:
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
    return f"+62813{i:08d}"


def case_code(i: int) -> str:
    """A distinct, random-looking case code for each i (a bijection of 0..23^6-1)."""
    n, letters = (i * 2654435761 + 12345) % len(CODE_ALPHABET) ** CODE_LENGTH, []
    for _ in range(CODE_LENGTH):
        n, digit = divmod(n, len(CODE_ALPHABET))
        letters.append(CODE_ALPHABET[digit])
    return "".join(letters)


def staff_rows(now: dt.datetime) -> list[tuple]:
    created = now - dt.timedelta(days=DAYS + 30)
    return ([(p, name, "official", village, "id", True, created) for p, name, village in HEADS]
            + [(p, name, role, village, "id", active, created) for p, name, role, village, active in OTHERS])


def ages(rng: random.Random, count: int, shuffled: bool) -> list[int]:
    """Seconds before `now` of `count` events over two years: oldest first (rows are added as things happen),
    or in random order when `shuffled` (each period's rows spread over the whole table)."""
    seconds = [int(rng.random() * DAYS * 86400) + 1 for _ in range(count)]
    return seconds if shuffled else sorted(seconds, reverse=True)


def people(rng: random.Random, count: int, expected: Expected, villages: list[str | None],
           shuffled: bool) -> Iterator[tuple]:
    """Registered people; appends each one's village to `villages` (cases and enrollments read it)."""
    village_table, status_table = table(dict(zip(DEMO_VILLAGES, VILLAGE_WEIGHTS))), table(
        {"calon": 25, "aktif": 40, "purna": 25, "keluarga": 10})
    for i, age in enumerate(ages(rng, count, shuffled)):
        village = draw(rng, village_table) if rng.random() >= 0.02 else None
        status = draw(rng, status_table)
        consent = expected.now - dt.timedelta(seconds=age)
        villages.append(village)
        expected.add(expected.within(consent), village, "registrations")
        country = draw(rng, COUNTRIES) if status in STATUSES_WITH_COUNTRY else None
        via = "ussd" if rng.random() < 0.8 else "sms"
        yield (phone(i), f"Warga {i}", village, status, country, "id", consent, CONSENT_VERSION, via, f"bench:{i}",
               None, None, consent, consent)


def cases(rng: random.Random, count: int, expected: Expected, villages: list[str | None],
          handlers: list[tuple[str, str | None]], shuffled: bool) -> Iterator[tuple]:
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
        yield (case_code(i), phone(reporter), draw(rng, ["self"] * 14 + ["family"] * 5 + ["other"]), category,
               severity, draw(rng, COUNTRIES), village, rng.random() < 0.7, None, story if rng.random() < 0.5 else None,
               rng.random() < 0.6, status, assignee, referred_to, "ussd" if rng.random() < 0.8 else "sms",
               rng.random() < 0.01, f"bench-digest:{i}", due, 0 if due > now else 1, next_escalation, created, updated,
               acknowledged, referred_at, resolved)


def trainings(rng: random.Random, count: int, now: dt.datetime) -> list[tuple]:
    """Trainings over two years and the next month: held or cancelled when past, planned when to come."""
    rows = []
    for i in range(count):
        starts = (now - dt.timedelta(days=DAYS) + dt.timedelta(seconds=int(rng.random() * (DAYS + 30) * 86400)))
        starts = starts.replace(minute=0, second=0)
        status = "planned" if starts > now else ("cancelled" if rng.random() < 0.1 else "held")
        created = starts - dt.timedelta(days=30)
        rows.append((f"BD{i:05d}", f"Pelatihan {i}", draw(rng, list(KINDS)), starts, "Balai Desa", ENROLLED,
                     status, created, created))
    return rows


def enrollments(rng: random.Random, rows: list[tuple], ids: dict[str, int], expected: Expected,
                villages: list[str | None]) -> Iterator[tuple]:
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
                "attended" if rng.random() < 0.75 else "absent")
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
                        at = min(due + dt.timedelta(seconds=int(rng.random() * 3 * 86400)),
                                 now - dt.timedelta(seconds=1))
                        answer = draw(rng, answers)
                        answered[days] = (answer, at)
                        expected.add(expected.within(at), village, "answered")
                        expected.add(expected.within(at) if answer == "applied" else (), village, "applied")
            updated = max([queued, *(at for _, at in answered.values() if at)])
            yield (ids[code], phone(person), state, queued, asked_stage, asked_at, *answered[30], *answered[90], queued,
                   updated)
        for kind in held_in:
            expected.counts[kind, ALL, "trainings_held"] += 1
            for village in attending - {None}:
                expected.counts[kind, village, "trainings_held"] += 1


# Loading: COPY on PostgreSQL, executemany on SQLite; both in the column order of COLUMNS


def copy_value(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    return str(value)


def load_postgres(url: str) -> Callable[[str, Iterable[tuple]], None]:
    def load(name: str, rows: Iterable[tuple]) -> None:
        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            rows = iter(rows)
            while batch := list(itertools.islice(rows, CHUNK)):
                text = "".join("\t".join(map(copy_value, row)) + "\n" for row in batch)
                cursor.copy_expert(f'COPY "{name}" ({", ".join(COLUMNS[name])}) FROM STDIN', io.StringIO(text))
        connection.close()
    return load


def load_sqlite(path: Path) -> Callable[[str, Iterable[tuple]], None]:
    def load(name: str, rows: Iterable[tuple]) -> None:
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes of a million cases stay cached
        try:
            with connection:  # sqlite3 adapts datetimes as peewee's queries do (isoformat with a space)
                connection.executemany(f'INSERT INTO "{name}" ({", ".join(COLUMNS[name])}) '
                                       f'VALUES ({", ".join("?" * len(COLUMNS[name]))})', rows)
        finally:
            connection.close()
    return load


def fill(load: Callable[[str, Iterable[tuple]], None], scale: float, expected: Expected,
         shuffled: bool) -> dict[str, int]:
    """Generate and load every table; return the rows loaded by table."""
    rng, now = random.Random(SEED), expected.now
    sizes = {"people": max(ENROLLED, round(PEOPLE * scale)), "cases": round(CASES * scale),
             "trainings": max(1, round(TRAININGS * scale))}
    load("village", [(name, position) for position, name in enumerate(DEMO_VILLAGES)])
    staff = staff_rows(now)
    load("staff", staff)
    handlers = [(row[0], row[1].split()[0] if row[5] else None)  # (phone, first name if active)
                for row in staff if row[2] in ("organizer", "coordinator")]
    villages: list[str | None] = []
    load("person", people(rng, sizes["people"], expected, villages, shuffled))
    load("case", cases(rng, sizes["cases"], expected, villages, handlers, shuffled))
    held = trainings(rng, sizes["trainings"], now)
    load("training", held)
    ids = dict(database.execute_sql('SELECT code, id FROM "training"').fetchall())
    load("enrollment", enrollments(rng, held, ids, expected, villages))
    return {**sizes, "enrollments": sizes["trainings"] * ENROLLED}


# Measuring


@dataclass
class Measured:
    """One database's figures."""

    name: str
    load_seconds: float = 0.0
    runs: dict[str, list[float]] = field(default_factory=dict)
    """'week', 'month', 'waiting', and 'week+waiting' (the digest run's database work) -> seconds of each run."""
    statements: list[tuple[str, float, str]] = field(default_factory=list)
    """(statement, median seconds, plan summary)."""
    mismatches: list[str] = field(default_factory=list)
    figures: dict[str, dict[str, dict]] = field(default_factory=dict)


def runs_of(call: Callable[[], object], runs: int) -> list[float]:
    """Seconds of each of `runs` calls after one warm-up call."""
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def captured(call: Callable[[], object]) -> list[tuple[str, tuple]]:
    """The statements (SQL, params) `call` sends to the bound database."""
    db, seen = database.obj, []
    original = db.execute_sql

    def record(sql, params=None, *args, **kwargs):
        if sql.strip().upper() != "SELECT 1":
            seen.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    db.execute_sql = record
    try:
        call()
    finally:
        del db.execute_sql
    return seen


def plan(sql: str, params: tuple, full: bool) -> tuple[str, list[str]]:
    """(summary: how each table is read, and PostgreSQL's execution time; the whole plan when `full`)."""
    if isinstance(database.obj, peewee.SqliteDatabase):
        details = [row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
        return "; ".join(d for d in details if d.startswith(("SCAN", "SEARCH", "MULTI-INDEX", "INDEX"))), details
    (result,), = database.execute_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params).fetchall()
    reads = []

    def walk(node: dict) -> None:
        if "Relation Name" in node or "Index Name" in node:
            where = f" using {node['Index Name']}" if "Index Name" in node else ""
            rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
            on = f" on {node['Relation Name']}" if "Relation Name" in node else ""
            reads.append(f"{node['Node Type']}{where}{on} ({rows:,.0f} rows)")
        for child in node.get("Plans", []):
            walk(child)

    walk(result[0]["Plan"])
    summary = "; ".join(reads) + f"; executed in {result[0]['Execution Time']:.1f} ms"
    if "JIT" in result[0]:
        summary += f" (JIT {result[0]['JIT']['Timing']['Total']:.0f} ms of it)"
    text = []
    if full:
        text = [row[0] for row in database.execute_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()]
    return summary, text


def measure(name: str, expected: Expected, runs: int, explain: str | None) -> Measured:
    """Time the digest's database work on the bound database and check its figures (one connection, as a job)."""
    now, result = expected.now, Measured(name)
    database.connect(reuse_if_open=True)
    villages = village_heads_villages()
    for kind, period in expected.periods.items():
        result.runs[kind] = runs_of(lambda p=period: compute(p, villages, now), runs)
        scopes = compute(period, villages, now)
        result.figures[kind] = {scope: figures_of(f) for scope, f in scopes.items()}
        for scope, figures in result.figures[kind].items():
            for figure in FIGURES:
                if figures[figure] != expected.counts[kind, scope, figure]:
                    result.mismatches.append(f"{kind} {scope} {figure}: {figures[figure]}, expected "
                                             f"{expected.counts[kind, scope, figure]}")
    result.runs["waiting"] = runs_of(waiting_by_organiser, runs)
    waiting = waiting_by_organiser()
    if waiting != dict(expected.waiting):
        result.mismatches.append(f"waiting_by_organiser: {waiting}, expected {dict(expected.waiting)}")
    result.figures["waiting"] = waiting
    week = expected.periods["week"]
    result.runs["week+waiting"] = runs_of(lambda: (compute(week, villages, now), waiting_by_organiser()), runs)
    week_sql = captured(lambda: compute(week, villages, now))
    labels = COMPUTE_STATEMENTS if len(week_sql) == len(COMPUTE_STATEMENTS) else [f"statement {i + 1}" for i in
                                                                                range(len(week_sql))]
    named = [*zip(labels, week_sql), *(("waiting by organiser", s) for s in captured(waiting_by_organiser))]
    for label, (sql, params) in named:
        seconds = statistics.median(runs_of(lambda q=sql, v=params: database.execute_sql(q, v).fetchall(), runs))
        summary, text = plan(sql, params, explain == "full") if explain else ("", [])
        result.statements.append((label, seconds, summary))
        if text:
            print(f"\n{name}, {label} (week):\n  " + "\n  ".join(text))
    database.close()
    return result


def figures_of(f: Figures) -> dict:
    return {"registrations": f.registrations, "reports": f.reports, "urgent": f.urgent, "open": f.open,
            "overdue": f.overdue, "referred_waiting": f.referred_waiting, "resolved": f.resolved,
            "trainings_held": f.trainings_held, "attended": f.attended, "answered": f.answered, "applied": f.applied,
            "by_status": f.registrations_by_status, "by_category": f.reports_by_category}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(results: list[Measured], sizes: dict[str, dict[str, int]], explain: str | None) -> None:
    """The table of timings, each statement's, and what the checks found."""
    print("\n| database | rows (people / cases / enrollments) | load s | week: compute, all scopes min / median ms "
          "| month min / median ms | waiting_by_organiser median ms | week + waiting median ms | target <= 1000 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        s = sizes["PostgreSQL" if r.name == "PostgreSQL" else "SQLite"]
        total = statistics.median(r.runs["week+waiting"])
        print(f"| {r.name} | {s['people']:,} / {s['cases']:,} / {s['enrollments']:,} | {r.load_seconds:.0f} | "
              f"{ms(min(r.runs['week']))} / {ms(statistics.median(r.runs['week']))} | "
              f"{ms(min(r.runs['month']))} / {ms(statistics.median(r.runs['month']))} | "
              f"{ms(statistics.median(r.runs['waiting']))} | {ms(total)} | "
              f"{'met' if total <= TARGET_SECONDS else 'NOT met'} |")
    print("\nEach statement alone (week; median ms):\n")
    print("| statement | " + " | ".join(r.name for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for i, (label, _, _) in enumerate(results[0].statements):
        print(f"| {label} | " + " | ".join(ms(r.statements[i][1]) if i < len(r.statements) else "-"
                                             for r in results) + " |")
    if explain:
        for r in results:
            print(f"\nPlans, {r.name} (week):")
            for label, _, summary in r.statements:
                print(f"  {label}: {summary}")
    print()
    for r in results:
        verdict = "every figure as generated" if not r.mismatches else f"{len(r.mismatches)} figures differ"
        print(f"{r.name}: {verdict}")
        for line in r.mismatches[:10]:
            print(f"  {line}")


# Databases


def own_postgres(name: str, drop: bool) -> str:
    """Create (again) the benchmark's database, or drop it; its URL."""
    connection = psycopg2.connect(ADMIN)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return ADMIN.rsplit("/", 1)[0] + f"/{name}"


def prepare(url: str, label: str) -> None:
    """Bind, migrate, and make sure there is nothing the generated rows would collide with."""
    bind_database(url)
    upgrade()
    taken = [t for t in ("person", "case", "training")
             if database.execute_sql(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]
    if taken:
        raise SystemExit(f"{label} already holds rows in {', '.join(taken)}: the benchmark needs an empty database")


def run_on(name: str, url: str, load, scale: float, expected: Expected, args: argparse.Namespace,
           analyze: bool = True) -> tuple[Measured, dict[str, int]]:
    """Migrate, fill (then ANALYZE unless told not to) and measure one database."""
    prepare(url, name)
    start = time.perf_counter()
    sizes = fill(load, scale, expected, args.shuffled)
    seconds = time.perf_counter() - start
    done = ""
    if analyze:  # on PostgreSQL VACUUM too, as autovacuum would soon (and not in the middle of the timing)
        done = "; ANALYZE" if isinstance(database.obj, peewee.SqliteDatabase) else "; VACUUM ANALYZE"
        database.execute_sql(done[2:])
    print(f"{name}: loaded {sizes['people']:,} people, {sizes['cases']:,} cases, {sizes['trainings']:,} trainings "
          f"and {sizes['enrollments']:,} enrollments in {seconds:.0f} s{done}", flush=True)
    database.close()
    result = measure(name, expected, args.runs, args.explain)
    result.load_seconds = seconds
    return result, sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each call after one warm-up (default 7)")
    parser.add_argument("--explain", nargs="?", const="summary", choices=("summary", "full"),
                        help="print how each statement reads its tables (EXPLAIN ANALYZE; `full`: whole plans)")
    parser.add_argument("--scale", type=float, default=1.0, help="PostgreSQL data size, 1 = full (default 1)")
    parser.add_argument("--sqlite-scale", type=float, default=1.0, help="SQLite data size, 0 skips it (default 1)")
    parser.add_argument("--shuffled", action="store_true",
                        help="add people and cases in random time order, not as they happen (the worst case)")
    parser.add_argument("--use-env", action="store_true", help="fill the (empty) PostgreSQL DATABASE_URL instead")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards (their names are printed)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.scale <= 0 or args.sqlite_scale < 0:
        parser.error("--runs and --scale must be positive, --sqlite-scale not negative")
    if args.use_env and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("--use-env needs a postgresql:// DATABASE_URL")
    return args


def main(argv: list[str] | None = None) -> int:
    """Fill PostgreSQL and SQLite with the same data, time the digest's figures on each and print them."""
    args = parse_args(argv)
    now = utcnow().replace(microsecond=0)
    periods = {kind: last_complete(kind, now) for kind in PERIOD_KINDS}
    print(f"now {now:%Y-%m-%d %H:%M} UTC; week {periods['week'].label}, month {periods['month'].label} (local); "
          f"scopes: {ALL} and the village heads' {', '.join(sorted(v for _, _, v in HEADS))}; {args.runs} runs "
          "after a warm-up", flush=True)
    results, sizes = [], {}
    folder = Path(tempfile.mkdtemp(prefix="km-bench-digest-"))
    url = os.environ["DATABASE_URL"] if args.use_env else own_postgres(BENCH_DATABASE, drop=False)
    try:
        result, sizes["PostgreSQL"] = run_on("PostgreSQL", url, load_postgres(url), args.scale,
                                             Expected(periods, now), args)
        results.append(result)
        database.obj.close_all()
        if args.sqlite_scale:
            path = folder / "digest.db"
            expected = Expected(periods, now)
            result, sizes["SQLite"] = run_on("SQLite, no ANALYZE", f"sqlite:///{path}", load_sqlite(path),
                                             args.sqlite_scale, expected, args, analyze=False)
            results.append(result)
            database.connect()
            database.execute_sql("ANALYZE")
            database.close()
            results.append(measure("SQLite, ANALYZE", expected, args.runs, args.explain))
            results[-1].load_seconds = result.load_seconds
            database.obj.close_all()
        report(results, sizes, args.explain)
        if len(results) > 1 and args.scale == args.sqlite_scale:
            same = all(r.figures == results[0].figures for r in results[1:])
            print(f"PostgreSQL and SQLite figures (every scope, both periods, waiting list): "
                  f"{'identical' if same else 'DIFFERENT'}")
    finally:
        if args.keep:
            print(f"kept: {url} and {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
            if not args.use_env:
                own_postgres(BENCH_DATABASE, drop=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
