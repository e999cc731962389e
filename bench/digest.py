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

The data and its loading are in bench/digest_data.py; this module times, checks and reports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import peewee
import psycopg2

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.digest_data import HEADS, Expected, Loader, fill, load_postgres, load_sqlite  # noqa: E402
from menus.features.digests.jobs import village_heads_villages  # noqa: E402
from models import bind_database, database, utcnow  # noqa: E402
from models.digest_figures import ALL, Figures, compute, waiting_by_organiser  # noqa: E402
from models.digest_period import PERIOD_KINDS, last_complete  # noqa: E402
from models.migrate import upgrade  # noqa: E402

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "km_bench_digest"
TARGET_SECONDS = 1.0
"""Every scope's week figures (compute and the coordinators' waiting list) in at most this."""
COMPUTE_STATEMENTS = (
    "registrations",
    "reports",
    "open/overdue/referred",
    "resolved",
    "trainings held",
    "attended",
    "follow-up answers",
)
"""The statements `compute` runs, in its order."""
FIGURES = (
    "registrations",
    "reports",
    "urgent",
    "open",
    "overdue",
    "referred_waiting",
    "resolved",
    "trainings_held",
    "attended",
    "answered",
    "applied",
)
"""The figures checked against the generated counts, in every scope and period."""


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
    ((result,),) = database.execute_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params).fetchall()
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
                    result.mismatches.append(
                        f"{kind} {scope} {figure}: {figures[figure]}, expected {expected.counts[kind, scope, figure]}"
                    )
    result.runs["waiting"] = runs_of(waiting_by_organiser, runs)
    waiting = waiting_by_organiser()
    if waiting != dict(expected.waiting):
        result.mismatches.append(f"waiting_by_organiser: {waiting}, expected {dict(expected.waiting)}")
    result.figures["waiting"] = waiting
    week = expected.periods["week"]
    result.runs["week+waiting"] = runs_of(lambda: (compute(week, villages, now), waiting_by_organiser()), runs)
    week_sql = captured(lambda: compute(week, villages, now))
    labels = (
        COMPUTE_STATEMENTS
        if len(week_sql) == len(COMPUTE_STATEMENTS)
        else [f"statement {i + 1}" for i in range(len(week_sql))]
    )
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
    """The figures of one scope as a dict (what is compared, and between databases)."""
    return {
        "registrations": f.registrations,
        "reports": f.reports,
        "urgent": f.urgent,
        "open": f.open,
        "overdue": f.overdue,
        "referred_waiting": f.referred_waiting,
        "resolved": f.resolved,
        "trainings_held": f.trainings_held,
        "attended": f.attended,
        "answered": f.answered,
        "applied": f.applied,
        "by_status": f.registrations_by_status,
        "by_category": f.reports_by_category,
    }


def ms(seconds: float) -> str:
    """Seconds as milliseconds to a tenth."""
    return f"{seconds * 1000:.1f}"


def report(results: list[Measured], sizes: dict[str, dict[str, int]], explain: str | None) -> None:
    """The table of timings, each statement's, and what the checks found."""
    print(
        "\n| database | rows (people / cases / enrollments) | load s | week: compute, all scopes min / median ms "
        "| month min / median ms | waiting_by_organiser median ms | week + waiting median ms | target <= 1000 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        s = sizes["PostgreSQL" if r.name == "PostgreSQL" else "SQLite"]
        total = statistics.median(r.runs["week+waiting"])
        print(
            f"| {r.name} | {s['people']:,} / {s['cases']:,} / {s['enrollments']:,} | {r.load_seconds:.0f} | "
            f"{ms(min(r.runs['week']))} / {ms(statistics.median(r.runs['week']))} | "
            f"{ms(min(r.runs['month']))} / {ms(statistics.median(r.runs['month']))} | "
            f"{ms(statistics.median(r.runs['waiting']))} | {ms(total)} | "
            f"{'met' if total <= TARGET_SECONDS else 'NOT met'} |"
        )
    print("\nEach statement alone (week; median ms):\n")
    print("| statement | " + " | ".join(r.name for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for i, (label, _, _) in enumerate(results[0].statements):
        print(
            f"| {label} | "
            + " | ".join(ms(r.statements[i][1]) if i < len(r.statements) else "-" for r in results)
            + " |"
        )
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
    taken = [
        t for t in ("person", "case", "training") if database.execute_sql(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()
    ]
    if taken:
        raise SystemExit(f"{label} already holds rows in {', '.join(taken)}: the benchmark needs an empty database")


def run_on(
    name: str, url: str, load: Loader, scale: float, expected: Expected, args: argparse.Namespace, analyze: bool = True
) -> tuple[Measured, dict[str, int]]:
    """Migrate, fill (then ANALYZE unless told not to) and measure one database."""
    prepare(url, name)
    start = time.perf_counter()
    sizes = fill(load, scale, expected, args.shuffled)
    seconds = time.perf_counter() - start
    done = ""
    if analyze:  # on PostgreSQL VACUUM too, as autovacuum would soon (and not in the middle of the timing)
        done = "; ANALYZE" if isinstance(database.obj, peewee.SqliteDatabase) else "; VACUUM ANALYZE"
        database.execute_sql(done[2:])
    print(
        f"{name}: loaded {sizes['people']:,} people, {sizes['cases']:,} cases, {sizes['trainings']:,} trainings "
        f"and {sizes['enrollments']:,} enrollments in {seconds:.0f} s{done}",
        flush=True,
    )
    database.close()
    result = measure(name, expected, args.runs, args.explain)
    result.load_seconds = seconds
    return result, sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each call after one warm-up (default 7)")
    parser.add_argument(
        "--explain",
        nargs="?",
        const="summary",
        choices=("summary", "full"),
        help="print how each statement reads its tables (EXPLAIN ANALYZE; `full`: whole plans)",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="PostgreSQL data size, 1 = full (default 1)")
    parser.add_argument("--sqlite-scale", type=float, default=1.0, help="SQLite data size, 0 skips it (default 1)")
    parser.add_argument(
        "--shuffled",
        action="store_true",
        help="add people and cases in random time order, not as they happen (the worst case)",
    )
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
    print(
        f"now {now:%Y-%m-%d %H:%M} UTC; week {periods['week'].label}, month {periods['month'].label} (local); "
        f"scopes: {ALL} and the village heads' {', '.join(sorted(v for _, _, v in HEADS))}; {args.runs} runs "
        "after a warm-up",
        flush=True,
    )
    results, sizes = [], {}
    folder = Path(tempfile.mkdtemp(prefix="km-bench-digest-"))
    url = os.environ["DATABASE_URL"] if args.use_env else own_postgres(BENCH_DATABASE, drop=False)
    try:
        result, sizes["PostgreSQL"] = run_on(
            "PostgreSQL", url, load_postgres(url), args.scale, Expected(periods, now), args
        )
        results.append(result)
        database.obj.close_all()
        if args.sqlite_scale:
            path = folder / "digest.db"
            expected = Expected(periods, now)
            result, sizes["SQLite"] = run_on(
                "SQLite, no ANALYZE",
                f"sqlite:///{path}",
                load_sqlite(path),
                args.sqlite_scale,
                expected,
                args,
                analyze=False,
            )
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
            print(
                f"PostgreSQL and SQLite figures (every scope, both periods, waiting list): "
                f"{'identical' if same else 'DIFFERENT'}"
            )
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
