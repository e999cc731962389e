"""Console pages under a district's load: 100,000 cases and 200,000 people, on PostgreSQL and on SQLite.

Fills each database with the digest benchmark's generator (`bench/digest_data.py`: bulk COPY on PostgreSQL,
executemany on SQLite), signs a coordinator in through the real form, then times pages through Flask's test client
(no network: the time is the server's, from the request in to the last byte of the page): the case list with a few
filters and a next page, case pages, and people searches. Prints p50 and p95 in milliseconds per page kind; the
target (DESIGN "Performance targets") is p95 <= 100 ms.

    .venv/bin/python -m bench.console [--runs 200] [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

from bench.area_data import fill_area
from bench.digest import own_postgres
from bench.digest_data import (
    CATEGORY_WEIGHTS,
    Loader,
    enrollments,
    load_postgres,
    load_sqlite,
    trainings,
)
from bench.harness import free_port, start_throwaway_redis, stop_process, wait_for
from models import Case, Person, Staff, database, utcnow
from models.console import StaffPassword
from models.migrate import upgrade
from service import create_app
from service.cli import DEMO_VILLAGES

PEOPLE, CASES, TRAININGS = 200_000, 100_000, 2_000
BENCH_DATABASE = "km_bench_console"
PASSWORD = "bench-console-password"
COORDINATOR = "+6281100000005"
"""The generated coordinator (`bench.digest_data.OTHERS`): sees every case and every number."""
TARGET_MS = 100.0


def fill(load: Loader) -> None:
    """The villages, the staff, 200,000 people, 100,000 cases (the digest generator's, a tenth of its cases) and
    2,000 trainings with 40,000 enrollments."""
    area = fill_area(load, PEOPLE, CASES)
    held = trainings(area.rng, TRAININGS, area.now)  # the figures page's funnel: 2,000 trainings of 20 enrollments
    load("training", held)
    database.connect(reuse_if_open=True)
    ids = dict(database.execute_sql('SELECT code, id FROM "training"').fetchall())
    database.close()
    load("enrollment", enrollments(area.rng, held, ids, area.expected, area.villages))


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(client, path: str) -> float:
    """Milliseconds from the request to the page's last byte; the page must answer 200."""
    start = time.perf_counter()
    response = client.get(path)
    body = response.get_data()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code} {body[:200]!r}")
    return elapsed


def measure(label: str, app: Flask, runs: int, only: str = "") -> dict[str, tuple[float, float]]:
    """Sign the coordinator in and time each kind of page `runs` times (after a warm-up); {kind: (p50, p95)}."""
    with app.app_context():
        database.connect(reuse_if_open=True)
        StaffPassword.store(Staff.get(Staff.phone == COORDINATOR), PASSWORD)
        codes = [row[0] for row in Case.select(Case.code).order_by(Case.id).tuples()]
        names = [row[0] for row in Person.select(Person.name).order_by(Person.id).limit(1000).tuples()]
        database.close()
    client = app.test_client()
    login = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token, "no csrf token on the sign-in page"
    signed = client.post("/console/login", data={"phone": COORDINATOR, "password": PASSWORD, "csrf_token": token[1]})
    assert signed.status_code == 302, signed.status_code
    rng = random.Random(7)
    categories = list(CATEGORY_WEIGHTS)
    kinds = {
        "today": lambda: "/console",
        "case list": lambda: rng.choice(
            [
                "/console/cases",
                "/console/cases?status=open",
                f"/console/cases?category={rng.choice(categories)}&village={rng.choice(DEMO_VILLAGES)}",
                "/console/cases?severity=urgent&status=new",
                "/console/cases?overdue=1",
                f"/console/cases?status=resolved&before={rng.randrange(10_000, CASES)}",
                "/console/cases?assignee=none&status=open",
            ]
        ),
        "case page": lambda: f"/console/cases/{rng.choice(codes)}",
        "people search": lambda: rng.choice(
            [
                f"/console/people?q={rng.choice(names).split()[-1]}",
                f"/console/people?q=Warga&village={rng.choice(DEMO_VILLAGES)}&status=purna",
                f"/console/people?village={rng.choice(DEMO_VILLAGES)}",
                "/console/people?q=nobody-has-this-name",
            ]
        ),
        "person page": lambda: f"/console/people/{rng.randrange(1, PEOPLE)}",
        "figures month": lambda: "/console/figures",
        "figures week": lambda: f"/console/figures?period=last_week&village={rng.choice(['', *DEMO_VILLAGES])}",
        "figures year": lambda: f"/console/figures?period=this_year&village={rng.choice(['', *DEMO_VILLAGES])}",
        "figures 3 years": lambda: "/console/figures?from=2024-01-01&to=" + utcnow().date().isoformat(),
    }
    kinds = {kind: path for kind, path in kinds.items() if only in kind}
    figures = {}
    for kind, path in kinds.items():
        for _ in range(10):
            timed(client, path())
        times = [timed(client, path()) for _ in range(runs)]
        figures[kind] = (statistics.median(times), percentile(times, 0.95))
        print(f"{label:<11} {kind:<14} p50 {figures[kind][0]:6.1f} ms  p95 {figures[kind][1]:6.1f} ms", flush=True)
    return figures


def run(
    label: str, url: str, load: Loader, settings: dict[str, object], runs: int, only: str = ""
) -> dict[str, tuple[float, float]]:
    """Migrate, fill, analyze and measure one database."""
    app = create_app({**settings, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        database.close()
    start = time.perf_counter()
    fill(load)
    database.connect(reuse_if_open=True)
    database.execute_sql("ANALYZE")
    database.close()
    print(f"{label}: {CASES:,} cases and {PEOPLE:,} people loaded in {time.perf_counter() - start:.0f} s", flush=True)
    figures = measure(label, app, runs, only)
    close_all = getattr(database.obj, "close_all", None)
    if close_all is not None:
        close_all()  # a pool keeps its connections: the benchmark's database is dropped next
    elif not database.is_closed():
        database.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    """Fill PostgreSQL and SQLite, time the console's pages on each, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed requests per page kind (after 10 warm-up)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pages", default="", help="time only the page kinds whose name holds this (e.g. figures)")
    parser.add_argument(
        "--figures-cache",
        type=int,
        default=None,
        help="FIGURES_CACHE_SECONDS (0: the figures page counts at every request, its cold time)",
    )
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="km-bench-console-"))
    port = free_port()
    redis = start_throwaway_redis(folder, port)
    settings: dict[str, object] = {
        "TESTING": False,
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "SECRET_KEY": "bench",
        "SMS_BACKEND": "outbox",
        "INSTANCE_PATH": str(folder),
    }
    if args.figures_cache is not None:
        settings["FIGURES_CACHE_SECONDS"] = args.figures_cache
    results = {}
    try:
        wait_for(lambda: _answers(port), 10, "redis", redis)
        if not args.no_postgres:
            url = own_postgres(BENCH_DATABASE, drop=False)
            results["PostgreSQL"] = run("PostgreSQL", url, load_postgres(url), settings, args.runs, args.pages)
            own_postgres(BENCH_DATABASE, drop=True)
        if not args.no_sqlite:
            path = folder / "console.db"
            results["SQLite"] = run("SQLite", f"sqlite:///{path}", load_sqlite(path), settings, args.runs, args.pages)
    finally:
        stop_process(redis, "redis")
    print(
        f"\nserver time, {args.runs} requests per page kind, {CASES:,} cases, {PEOPLE:,} people (target p95 <= 100 ms)"
    )
    worst = 0.0
    for label, figures in results.items():
        for kind, (p50, p95) in figures.items():
            worst = max(worst, p95)
            print(f"| {label} | {kind} | {p50:.1f} | {p95:.1f} |")
    print(f"worst p95 {worst:.1f} ms: {'within' if worst <= TARGET_MS else 'OVER'} the target")
    return 0 if worst <= TARGET_MS else 1


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
