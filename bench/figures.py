"""The figures a benchmark reports: samples of one stretch, pooled per target, and percentiles."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import psutil  # the `bench` extra (`make bench` installs it)


@dataclass
class Sample:
    """What one measured stretch of one target produced (rounds of a target are pooled into Figures)."""

    latency: list[float]
    final_latency: list[float]
    errors: Counter
    seconds: float
    server_cpu: float
    client_cpu: float
    box_cpu: float
    dialogues: int
    connections: str


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
    final_p50_ms: float = math.nan
    final_p99_ms: float = math.nan

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @classmethod
    def pooled(cls, name: str, samples: list[Sample]) -> Figures:
        """One target's figures over all its rounds: requests over measured time, percentiles over every request."""
        seconds = sum(sample.seconds for sample in samples)
        latency = sorted(t for sample in samples for t in sample.latency)
        final = sorted(t for sample in samples for t in sample.final_latency)

        def per_second(cpu: float) -> float:
            return cpu / seconds if seconds else 0.0

        return cls(
            name,
            len(latency),
            sum((sample.errors for sample in samples), Counter()),
            seconds,
            percentile(latency, 50) * 1000,
            percentile(latency, 99) * 1000,
            per_second(sum(sample.server_cpu for sample in samples)),
            per_second(sum(sample.client_cpu for sample in samples)),
            per_second(sum(sample.box_cpu for sample in samples)),
            sum(sample.dialogues for sample in samples),
            samples[-1].connections,
            percentile(final, 50) * 1000,
            percentile(final, 99) * 1000,
        )


def box_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (all cores), not idle nor waiting for I/O."""
    times = psutil.cpu_times()
    return (
        sum(times)
        - times.idle
        - getattr(times, "iowait", 0.0)
        - getattr(times, "guest", 0.0)
        - getattr(times, "guest_nice", 0.0)
    )


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]
