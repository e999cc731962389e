"""Keep-alive connections spread evenly over gunicorn's workers, and CPU accounting of the server."""

from __future__ import annotations

import http.client
import math
import time
from collections import Counter

import psutil


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


def open_connections(
    count: int, port: int, server: psutil.Process, workers: int, balance: bool
) -> tuple[list[http.client.HTTPConnection], list[int | None]]:
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
