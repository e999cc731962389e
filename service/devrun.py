"""`make run`: the whole service on embedded defaults (SQLite, embedded Redis, outbox, simulator) via honcho."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from service.config import EMBEDDED_REDIS_PORT, embedded_redis_password, embedded_redis_url
from service import embedded_redis

log = logging.getLogger("kawalmigran.run")
ROOT = Path(__file__).resolve().parent.parent


def flask(*args: str, env: dict[str, str]) -> None:
    """Run a `flask --app service` command with the run's environment; stop on failure."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "service", *args], check=True, cwd=ROOT, env=env)


def main() -> int:
    """Set up and run web, worker and cron; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from dotenv import load_dotenv

    load_dotenv(ROOT / ".env", override=False)
    env = dict(os.environ)
    instance = Path(env.get("INSTANCE_PATH") or ROOT / "instance")
    env.setdefault("PORT", "5000")
    redis_process = None
    if not env.get("REDIS_URL"):
        port = int(env.get("EMBEDDED_REDIS_PORT", EMBEDDED_REDIS_PORT))
        password = embedded_redis_password(instance)
        if embedded_redis.answering(port, password):
            log.info("our Redis already answers on port %s; using it", port)
        else:
            redis_process = embedded_redis.start(instance / "redis", port, password)
        env["REDIS_URL"] = embedded_redis_url(instance, port)
    try:
        flask("db", "upgrade", env=env)
        flask("demo", "seed", env=env)
        flask("menus", "check", env=env)
        log.info("simulator: http://127.0.0.1:%s/simulator  (health: /healthz; stop with Ctrl-C)", env["PORT"])
        bin_dir = Path(sys.executable).parent
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run([str(bin_dir / "honcho"), "start", "-f", str(ROOT / "Procfile")],
                              cwd=ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(10)


if __name__ == "__main__":
    sys.exit(main())
