"""The load generator's own CPU, so a report can tell a saturated load generator (whose
latencies measure itself) from the system under test. Linux ``/proc``; elsewhere nothing is
recorded and the report falls back to Locust's own CPU warning."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

__all__ = ["CpuWatch"]

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` (``None`` when gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


class CpuWatch:
    """Peak CPU percent of any one watched process over intervals of at least ``every``
    seconds (100 % = one core: one Locust process uses one core at most)."""

    def __init__(self, *, every: float = 2.0) -> None:
        self.every = every
        self.peak: float | None = None
        self._last: dict[int, tuple[float, float]] = {}

    def sample(self, pids: Iterable[int]) -> None:
        now = time.monotonic()
        for pid in pids:
            used = _cpu_seconds(pid)
            if used is None:
                self._last.pop(pid, None)
                continue
            before = self._last.get(pid)
            if before is None:
                self._last[pid] = (now, used)
                continue
            elapsed = now - before[0]
            if elapsed < self.every:
                continue
            percent = 100.0 * (used - before[1]) / elapsed
            self.peak = percent if self.peak is None else max(self.peak, percent)
            self._last[pid] = (now, used)
