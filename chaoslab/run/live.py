"""Live statistics from the per-request logs, read while Locust writes them.

The runner never talks to Locust: it tails ``RUN/load/requests-*.jsonl`` (every worker's
file) and computes what the live line and the steady-state checks need: requests per
second, error share and p95 over a recent window, totals, and the error budget used.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from rundir import RequestRecord
from rundir.layout import LOAD_DIR, REQUESTS_GLOB
from rundir.quantile import nearest_rank

__all__ = ["LiveStats", "Window", "budget_used"]


@dataclass(frozen=True, slots=True)
class Window:
    """Requests that ended within a time window (those it left out aside)."""

    requests: int
    good: int
    failure: int
    p95_s: float | None
    ttft_p95_s: float | None
    seconds: float
    good_latencies: tuple[float, ...] = ()
    """The good requests' latencies, sorted (for the steady check's p95 bound)."""
    cut_at_impact: int = 0
    """Requests that ended in the window but were left out of it: streams a fault cut at its
    start, past their first token (``chaoslab.run.steady.cut_at_impact``)."""

    @property
    def valid(self) -> int:
        return self.good + self.failure

    @property
    def availability(self) -> float | None:
        return self.good / self.valid if self.valid else None

    @property
    def error_share(self) -> float:
        return self.failure / self.valid if self.valid else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def _p95(values: list[float]) -> float | None:
    return nearest_rank(sorted(values), 0.95)


def budget_used(
    *, failures: int, valid: int, elapsed: float, duration: float, target: float
) -> float:
    """Share of the run's error budget used: failures over (1 - target) x the requests the
    run will see at the pace so far."""
    if valid == 0 or elapsed <= 0 or target >= 1.0:
        return 0.0 if failures == 0 else math.inf
    expected = valid * max(duration, elapsed) / elapsed
    return failures / ((1.0 - target) * expected)


class LiveStats:
    """Tails the request logs under ``run_dir/load`` (call ``poll()`` now and then)."""

    def __init__(self, run_dir: Path, *, keep_s: float = 120.0) -> None:
        self.load_dir = run_dir / LOAD_DIR
        self.keep_s = keep_s
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}
        self._decoder = msgspec.json.Decoder(RequestRecord)
        self.recent: deque[RequestRecord] = deque()
        self.since: float | None = None
        """Requests sent before this (the warm-up) count in ``warmup`` only; the runner sets
        ``math.inf`` until the run's start, then the start."""
        self.until: float | None = None
        """Requests sent at or after this (past run_end) are not counted."""
        self.warmup = 0
        self.total = 0
        self.good = 0
        self.failure = 0
        self.excluded = 0

    def poll(self) -> int:
        """Read what was appended since the last call; returns how many records."""
        count = 0
        for path in sorted(self.load_dir.glob(REQUESTS_GLOB)):
            offset = self._offsets.get(path, 0)
            try:
                with path.open("rb") as file:
                    file.seek(offset)
                    data = self._partial.pop(path, b"") + file.read()
                    self._offsets[path] = file.tell()
            except OSError:
                continue
            lines = data.split(b"\n")
            if lines and lines[-1]:
                self._partial[path] = lines[-1]
            for line in lines[:-1]:
                if line.strip():
                    try:
                        self._add(self._decoder.decode(line))
                        count += 1
                    except (msgspec.ValidationError, msgspec.DecodeError):
                        continue
        return count

    def _add(self, record: RequestRecord) -> None:
        if self.until is not None and record.t >= self.until:
            return
        if self.since is not None and record.t < self.since:
            self.warmup += 1
            return
        self.total += 1
        if record.outcome == "good":
            self.good += 1
        elif record.outcome == "failure":
            self.failure += 1
        else:
            self.excluded += 1
        self.recent.append(record)
        horizon = record.t + record.latency_s - self.keep_s
        while self.recent and self.recent[0].t + self.recent[0].latency_s < horizon:
            self.recent.popleft()

    def window(
        self,
        start: float,
        end: float,
        *,
        leave_out: Callable[[RequestRecord], bool] | None = None,
    ) -> Window:
        """Requests that ended in ``[start, end)``, but those ``leave_out`` says (counted in
        ``cut_at_impact`` only)."""
        ended = [r for r in self.recent if start <= r.t + r.latency_s < end]
        chosen = ended if leave_out is None else [r for r in ended if not leave_out(r)]
        valid = [r for r in chosen if r.outcome != "excluded"]
        good_latencies = tuple(sorted(r.latency_s for r in valid if r.outcome == "good"))
        return Window(
            requests=len(chosen),
            good=sum(r.outcome == "good" for r in chosen),
            failure=sum(r.outcome == "failure" for r in chosen),
            p95_s=nearest_rank(good_latencies, 0.95),
            ttft_p95_s=_p95([r.ttft_s for r in valid if r.ttft_s is not None]),
            seconds=max(end - start, 0.0),
            good_latencies=good_latencies,
            cut_at_impact=len(ended) - len(chosen),
        )
