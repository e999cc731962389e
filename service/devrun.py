"""`make run`: the whole service on embedded defaults (SQLite, embedded Redis, outbox, simulator) via honcho.

Ctrl-C, SIGTERM (a process manager) and SIGHUP (a closed terminal) all stop web, worker, cron and the embedded
Redis: honcho runs in a session of its own, so a signal reaches it only through us, as a SIGTERM it answers by
stopping its processes (killing any left after 5 s); Redis is stopped once they are gone.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from service import embedded_redis
from service.config import EMBEDDED_REDIS_PORT, embedded_redis_password, embedded_redis_url

log = logging.getLogger("kawalmigran.run")
ROOT = Path(__file__).resolve().parent.parent

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that stop the whole run."""

REDIS_STOP_SECONDS = 10
"""How long the embedded Redis may take to write its data and exit before it is killed."""


def flask(*args: str, env: dict[str, str]) -> None:
    """Run a `flask --app service` command with the run's environment; stop on failure."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "service", *args], check=True, cwd=ROOT, env=env)


def stop_redis(process: subprocess.Popen) -> None:
    """Stop the embedded Redis (it saves its data on SIGTERM); kill it if it does not exit in time."""
    process.terminate()
    try:
        process.wait(REDIS_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("embedded Redis did not stop in %s s; killing it", REDIS_STOP_SECONDS)
        process.kill()
        process.wait()


def main() -> int:
    """Set up and run web, worker and cron until they stop or a stop signal arrives; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from dotenv import load_dotenv

    honcho: subprocess.Popen | None = None
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        if honcho is None:  # still setting up: abandon it (the finally below stops Redis)
            raise SystemExit(0)
        if not stopping and honcho.poll() is None:
            stopping = True
            log.info("%s: stopping web, worker and cron", signal.Signals(signum).name)
            honcho.send_signal(signal.SIGTERM)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)

    load_dotenv(ROOT / ".env", override=False)
    env = dict(os.environ)
    instance = Path(env.get("INSTANCE_PATH") or ROOT / "instance")
    env.setdefault("PORT", "5000")
    redis_process = None
    try:
        if not env.get("REDIS_URL"):
            port = int(env.get("EMBEDDED_REDIS_PORT", EMBEDDED_REDIS_PORT))
            password = embedded_redis_password(instance)
            if embedded_redis.answering(port, password):
                log.info("our Redis already answers on port %s; using it", port)
            else:
                redis_process = embedded_redis.start(instance / "redis", port, password)
            env["REDIS_URL"] = embedded_redis_url(instance, port)
        flask("db", "upgrade", env=env)
        if (env.get("SMS_BACKEND") or "outbox") == "outbox":
            flask("demo", "seed", env=env)
        else:
            log.info("SMS_BACKEND=%s: no demo data (demo staff would become real staff)", env["SMS_BACKEND"])
        flask("menus", "check", env=env)
        log.info("simulator: http://127.0.0.1:%s/simulator  (health: /healthz; stop with Ctrl-C)", env["PORT"])
        bin_dir = Path(sys.executable).parent
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        honcho = subprocess.Popen(
            [str(bin_dir / "honcho"), "start", "-f", str(ROOT / "Procfile")], cwd=ROOT, env=env, start_new_session=True
        )
        code = honcho.wait()
        return 0 if stopping else code
    finally:
        if honcho is not None and honcho.poll() is None:  # we are leaving on an error: take honcho down too
            honcho.send_signal(signal.SIGTERM)
            honcho.wait()
        if redis_process is not None:
            stop_redis(redis_process)


if __name__ == "__main__":
    sys.exit(main())
