"""USSD throughput and latency against a bare Flask endpoint, on the repo's gunicorn settings.

Run from the repo root: `.venv/bin/python bench/ussd.py [--dialogue register|report|both] [--clients 32]
[--seconds S] [--rounds 3]`.

It sets up a throwaway instance folder, SQLite database and Redis (or, with `--use-env`, the
DATABASE_URL / REDIS_URL of the environment, which it only adds to), starts gunicorn with
`gunicorn.conf.py` on `bench.app:app`, then drives N keep-alive clients, in rounds: whole USSD
registration dialogues, whole "Lapor masalah" report dialogues (each opens a case and writes the
organiser's alert), then the bare endpoint. It prints figures; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import math
import os
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psutil  # the `bench` extra (`make bench` installs it)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.connections import cpu_seconds, open_connections  # noqa: E402
from bench.figures import Figures, Sample, box_busy_seconds  # noqa: E402
from bench.harness import (  # noqa: E402
    BARE_PATH,
    FORM_HEADERS,
    PHONE_PREFIX,
    TOKEN,
    Environment,
    first_phone,
    registered_in,
    reports_in,
    run_in_environment,
    start_gunicorn,
)
from menus.ussd import apology  # noqa: E402  (the repo is importable only once REPO is on the path)
from models.base import utcnow  # noqa: E402

USSD_PATH = f"/webhooks/at/ussd?token={TOKEN}"
BARE_REPLY = "CON ok"

APOLOGIES = {apology(language) for language in ("id", "jv", "en")}
"""The END replies of a USSD step that failed inside (the service logs the exception)."""

REGISTRATION = (
    "",
    "1",
    "1*1",
    "1*1*Budi Santoso",
    "1*1*Budi Santoso*1",
    "1*1*Budi Santoso*1*1",
    "1*1*Budi Santoso*1*1*1",
)
"""AT's `text` for each step of a registration: consent, name, first village, calon, first country."""

STORY = "Majikan tidak bayar gaji 3 bulan, paspor ditahan agen"
REPORT = ("", "2", "2*1", "2*1*4", "2*1*4*1", "2*1*4*1*1", "2*1*4*1*1*1", f"2*1*4*1*1*1*{STORY}")
"""AT's `text` for each step of a report: myself, unpaid wages (after the three urgent problems), Hong Kong, safe,
consent, a story."""

DIALOGUES = {"register": REGISTRATION, "report": REPORT}
"""The USSD dialogues the benchmark can drive, by `--dialogue` name."""


TARGET_RATIOS = {"register": 0.5, "report": 0.33}
"""Throughput against a bare endpoint (DESIGN "Performance targets": the report makes a durable write a step)."""
TARGET_P99_MS = 50.0
TARGET_CLIENTS = 32

Request = tuple[str, bytes, str | None]
"""Path, form body, and the reply prefix expected (None: exactly the bare reply)."""


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
    final_latency: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    dialogues: int = 0


def dialogue_script(name: str):
    """A script factory: whole `name` dialogues, as AT plays them, a new sessionId and a fresh phone each."""
    steps = DIALOGUES[name]

    def script(index: int, phones: Iterator[int], run_id: str) -> Generator[Request, bool, None]:
        while True:
            number = next(phones)  # unique over the run, so the session id is too (a reused one is a replay)
            session_id, phone = f"ATUid_bench_{run_id}_{name}_{number}", f"{PHONE_PREFIX}{number:07d}"
            for step, text in enumerate(steps):
                body = urlencode(
                    {
                        "sessionId": session_id,
                        "phoneNumber": phone,
                        "networkCode": "51010",
                        "serviceCode": "*384*123#",
                        "text": text,
                    }
                ).encode()
                ok = yield USSD_PATH, body, "END " if step == len(steps) - 1 else "CON "
                if not ok:
                    break  # AT ends a session whose reply is broken; start a new dialogue

    return script


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


def client(
    connection: http.client.HTTPConnection, script: Generator[Request, bool, None], phase: Phase, result: ClientResult
) -> None:
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
                if expected == "END ":
                    result.final_latency.append(finished - start)
                if error:
                    result.errors[error] += 1
                elif expected == "END ":
                    result.dialogues += 1
            request = script.send(error is None)
    finally:
        connection.close()


def run_phase(
    name: str,
    script_factory,
    port: int,
    args: argparse.Namespace,
    server: psutil.Process,
    phones: Iterator[int],
    run_id: str,
    seconds: float,
    requests: int | None,
) -> Sample:
    """Drive one target with `args.clients` threads for one round; measure after the warm-up."""
    clients, warmup = args.clients, args.warmup
    connections, pids = open_connections(clients, port, server, args.workers, not args.no_balance)
    per_worker = Counter(pids)
    now = time.perf_counter()
    phase = Phase(measure_start=now + warmup, end=math.inf if requests else now + warmup + seconds, limit=requests)
    results = [ClientResult() for _ in range(clients)]
    threads = [
        threading.Thread(
            target=client,
            name=f"{name}-{i}",
            daemon=True,
            args=(connections[i], script_factory(i, phones, run_id), phase, results[i]),
        )
        for i in range(clients)
    ]
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
    return Sample(
        latency=[t for r in results for t in r.latency],
        final_latency=[t for r in results for t in r.final_latency],
        errors=sum((r.errors for r in results), Counter()),
        seconds=(max(done) - phase.measure_start) if done else 0.0,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        box_cpu=box_cpu,
        dialogues=sum(r.dialogues for r in results),
        connections="/".join(str(per_worker[pid]) for pid in sorted(p for p in per_worker if p))
        + (f" +{per_worker[None]} unplaced" if per_worker[None] else ""),
    )


def run_rounds(
    args: argparse.Namespace, port: int, server: psutil.Process, phones: Iterator[int], run_id: str
) -> tuple[list[Figures], Figures, dict[str, list[float]]]:
    """Alternate each dialogue and bare `args.rounds` times, so drift on a shared box hits all; pool each target.

    Returns the dialogues' figures, the bare endpoint's, and each dialogue's ratio to bare round by round.
    """
    names = dialogue_names(args.dialogue)
    seconds = args.seconds / ((len(names) + 1) * args.rounds)
    requests = math.ceil(args.requests / args.rounds) if args.requests else None
    samples: dict[str, list[Sample]] = {name: [] for name in [*names, "bare"]}
    ratios: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            samples[name].append(
                run_phase(name, dialogue_script(name), port, args, server, phones, run_id, seconds, requests)
            )
        samples["bare"].append(run_phase("bare", bare_script, port, args, server, phones, run_id, seconds, requests))
        bare_round = Figures.pooled("bare", samples["bare"][-1:])
        for name in names:
            throughput = Figures.pooled(name, samples[name][-1:]).throughput
            ratios[name].append(throughput / bare_round.throughput if bare_round.throughput else 0.0)
    return [Figures.pooled(name, samples[name]) for name in names], Figures.pooled("bare", samples["bare"]), ratios


def dialogue_names(choice: str) -> list[str]:
    """The dialogues `--dialogue` names ("both": every one)."""
    return list(DIALOGUES) if choice == "both" else [choice]


# Report


FINAL_STEP = {
    "register": "writes the person and the welcome SMS, enqueues it",
    "report": "opens the case, writes the alert and the confirmation, enqueues them",
}
"""What the final step of each dialogue does, for the report."""


def report(
    dialogues: list[Figures], bare: Figures, ratios: dict[str, list[float]], clients: int, stored: dict[str, str]
) -> None:
    """Print the figures and the targets; `stored` says what each dialogue left in the database."""
    print(
        f"{'target':<8} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'server CPU':>11} {'client CPU':>11} {'box CPU':>8}  conns/worker"
    )
    for f in (*dialogues, bare):
        print(
            f"{f.name:<8} {f.requests:>9} {f.error_count:>7} {f.throughput:>9.1f} {f.p50_ms:>8.1f} {f.p99_ms:>8.1f}"
            f" {f.server_cpu:>10.2f}c {f.client_cpu:>10.2f}c {f.box_cpu:>7.2f}c  {f.connections}"
        )
    print(
        f"(CPU columns are cores busy while measuring: gunicorn and its workers, this client, the whole box of "
        f"{os.cpu_count()}; box minus the two is Redis and everything else running)"
    )
    for f in (*dialogues, bare):
        if f.errors:
            print(f"{f.name} errors: " + ", ".join(f"{kind} x{count}" for kind, count in f.errors.most_common()))
    note = "" if clients == TARGET_CLIENTS else f"; measured at {clients} clients, not {TARGET_CLIENTS}"
    for f in dialogues:
        print(
            f"{f.name}: {f.dialogues} dialogues completed in the measured window ({stored[f.name]} over the "
            f"whole run, warm-up included)"
        )
        print(
            f"{f.name} final step alone ({FINAL_STEP[f.name]}): "
            f"p50 {f.final_p50_ms:.1f} ms, p99 {f.final_p99_ms:.1f} ms"
        )
        ratio = f.throughput / bare.throughput if bare.throughput else math.nan
        rounds = ratios[f.name]
        spread = f"; rounds: {', '.join(f'{r:.2f}' for r in rounds)}" if len(rounds) > 1 else ""
        print(
            f"throughput ratio {f.name}/bare: {ratio:.2f} (target >= {TARGET_RATIOS[f.name]:.2f}x: "
            f"{'met' if ratio >= TARGET_RATIOS[f.name] else 'not met'}{spread})"
        )
        print(
            f"{f.name} p99: {f.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms at {TARGET_CLIENTS} clients: "
            f"{'met' if f.p99_ms < TARGET_P99_MS else 'not met'}{note})"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dialogue",
        choices=[*DIALOGUES, "both"],
        default="both",
        help="which USSD dialogue to drive beside the bare endpoint (default both)",
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="measured seconds, split equally between the targets (dialogues and bare) and over the "
        "rounds (default 6 a target: 12 for one dialogue, 18 for both)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternate the targets this many times, so drift on a shared box hits all (default 3)",
    )
    parser.add_argument(
        "--requests", type=int, default=None, help="measure this many requests per target instead of a duration"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds before each target (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--app",
        default="bench.app:app",
        help="WSGI app to serve (default bench.app:app); a variant must keep POST /bench/bare, "
        "e.g. to try a fix before changing the service",
    )
    parser.add_argument(
        "--use-env",
        action="store_true",
        help="use DATABASE_URL / REDIS_URL from the environment (adds rows, deletes nothing)",
    )
    parser.add_argument(
        "--no-balance",
        action="store_true",
        help="leave the keep-alive connections where gunicorn's workers accepted them",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, database) afterwards")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 6.0 * (len(dialogue_names(args.dialogue)) + 1)
    if (
        args.clients < 1
        or args.seconds <= 0
        or args.rounds < 1
        or args.warmup < 0
        or (args.requests is not None and args.requests < 1)
    ):
        parser.error("--clients, --seconds, --rounds and --requests must be positive, --warmup not negative")
    return args


def measure(args: argparse.Namespace, environment: Environment) -> None:
    """Start gunicorn on the environment, drive every target in rounds, print the figures."""
    database_url = environment.env["DATABASE_URL"]
    first = first_phone(database_url)
    phones = itertools.count(first)
    server, port = start_gunicorn(environment, args.workers, args.app)
    threads = environment.env.get("WEB_THREADS", "2")
    print(
        f"server: gunicorn -c gunicorn.conf.py -w {args.workers} (WEB_THREADS={threads}) {args.app} on 127.0.0.1:{port}"
    )
    print(f"data: {environment.database_label}; {environment.redis_label}")
    names = dialogue_names(args.dialogue)
    span = (
        f"{math.ceil(args.requests / args.rounds)} requests"
        if args.requests
        else f"{args.seconds / ((len(names) + 1) * args.rounds):g} s"
    )
    print(
        f"load: {args.clients} keep-alive clients (threads, http.client); {args.rounds} rounds of "
        f"{', '.join(names)} then bare, {span} a target a round after {args.warmup:g} s warm-up; "
        f"{os.cpu_count()} CPUs shared by server and clients",
        flush=True,
    )
    run_id, started = secrets.token_hex(3), utcnow()
    gunicorn = psutil.Process(server.pid)
    dialogues, bare, ratios = run_rounds(args, port, gunicorn, phones, run_id)
    last = next(phones) - 1
    cases, alerts = reports_in(database_url, first, last, started)
    stored = {
        "register": f"{registered_in(database_url, first, last)} numbers registered in the database",
        "report": f"{cases} cases opened and {alerts} alerts written in the database",
    }
    report(dialogues, bare, ratios, args.clients, stored)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the exit code says whether it could be measured (not whether targets were met)."""
    args = parse_args(argv)
    return run_in_environment(lambda environment: measure(args, environment), args.use_env, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
