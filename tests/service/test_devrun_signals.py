"""`make run` stopped by SIGTERM (a process manager) or SIGHUP (a closed terminal), not only Ctrl-C, leaves
nothing running: web, worker, cron and the embedded Redis all stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from redis import Redis

from service.config import embedded_redis_url
from tests.support.paths import ROOT
from tests.support.ports import free_port
from tests.support.process_output import OutputWatcher

START_SECONDS = 90
"""Set-up (migrations, demo data, menus check) and start of every process, on a slow machine."""
STOP_SECONDS = 10
"""Everything gone within this (honcho kills what is left after 5 s)."""


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture
def devrun(tmp_path):
    """`python -m service.devrun` in its own process group, on a throwaway instance folder and free ports,
    waited on until /healthz answers 200 and the worker and cron run; yields (process, every descendant)."""
    port, redis_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "WEBHOOK_TOKEN", "SECRET_KEY", "SMS_BACKEND")
    }
    env.update(
        INSTANCE_PATH=str(tmp_path / "instance"),
        PORT=str(port),
        EMBEDDED_REDIS_PORT=str(redis_port),
        SIMULATOR="1",
        WEB_CONCURRENCY="1",
    )
    log = open(tmp_path / "devrun.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "service.devrun"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output = OutputWatcher(process.stdout, copy_to=log)
    started: list[psutil.Process] = []
    try:
        # web listening, the worker listening, and the cron's first sweep run by the worker (so cron is up too)
        assert output.wait_for(*UP_LINES, timeout=START_SECONDS), output.text
        assert _ready(port, tmp_path / "instance", redis_port), output.text
        started = psutil.Process(process.pid).children(recursive=True)
        yield process, started
    finally:  # whatever the test found, leave nothing of this run behind
        for leftover in [psutil.Process(process.pid), *started] if process.poll() is None else started:
            try:
                leftover.kill()
            except psutil.NoSuchProcess:
                pass
        process.wait(10)
        log.close()


UP_LINES = ("Listening at: http://127.0.0.1:", "*** Listening on", "workers.sweep.sweep()")
"""What `make run`'s processes print once up: gunicorn, the RQ worker, and the worker running cron's first sweep."""


def _command(process: psutil.Process) -> str:
    """A process's command line; '' for one that exited since it was listed (a short-lived helper)."""
    try:
        return " ".join(process.cmdline())
    except psutil.NoSuchProcess:
        return ""


def _ready(port: int, instance: Path, redis_port: int) -> bool:
    if not _healthy(port):
        return False
    redis = Redis.from_url(embedded_redis_url(instance, redis_port))
    return bool(redis.smembers("rq:workers")) and bool(redis.zcard("rq:cron_schedulers"))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_to_make_run_stops_web_worker_cron_and_redis(devrun, stop_signal):
    process, children = devrun
    commands = " | ".join(_command(child) for child in children)
    for part in ("gunicorn", "worker", "cron", "redis-server"):
        assert part in commands, f"{part} is not running: {commands}"

    process.send_signal(stop_signal)

    gone, alive = psutil.wait_procs([psutil.Process(process.pid), *children], timeout=STOP_SECONDS)
    assert not alive, [_command(p) for p in alive]
    assert process.wait() == 0
