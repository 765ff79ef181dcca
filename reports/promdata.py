"""Prometheus data saved in a run directory, and the arithmetic reports do on it.

``chaoslab.run.collect.save`` writes, under ``RUN/prom/``:

- ``<metric>.json``: a ``RangeResult``, the raw samples of every series of one metric with
  their scrape timestamps, from one scrape interval before the run to its end. Counters are
  reconciled as differences between samples (``increase``: resets handled), never as
  extrapolated rates.
- ``scrapes.json``: a ``ScrapeSummary``, per target how many scrapes happened in the
  window against how many the scrape interval promises, and when it was down (``up == 0``).
- ``index.json``: an ``Index``, what was queried, from where, and what failed.

Reports only read these files (``PromData.load``); a missing ``prom/`` means no
server-side view, not an error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path

import msgspec

from rundir.layout import PROM_DIR, PROM_INDEX_FILE, PROM_SCRAPES_FILE

__all__ = [
    "GAP_INTERVALS",
    "Index",
    "PromData",
    "RangeResult",
    "ScrapeSummary",
    "ScrapeTarget",
    "Series",
    "gaps_between",
]


class Series(msgspec.Struct, frozen=True, kw_only=True):
    """One time series: its labels (``__name__`` removed) and ``[t, value]`` points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


class RangeResult(msgspec.Struct, frozen=True, kw_only=True):
    metric: str
    query: str
    start: float
    end: float
    step: float
    series: list[Series] = msgspec.field(default_factory=list)


class ScrapeTarget(msgspec.Struct, frozen=True, kw_only=True):
    job: str
    instance: str
    scrapes: int
    """Scrape attempts inside the window (``count_over_time(up[...])``)."""
    down: list[float] = msgspec.field(default_factory=list)
    """Times of scrapes that failed (``up == 0``)."""
    first: float | None = None
    """Its first scrape in the window (a target may join late: a load exporter)."""
    last: float | None = None
    gaps: list[tuple[float, float]] = msgspec.field(default_factory=list)
    """Spans with no scrape longer than ``GAP_INTERVALS`` intervals: (the scrape before, the
    scrape after)."""


GAP_INTERVALS = 1.5
"""Two scrapes further apart than this many scrape intervals leave a gap between them."""


def gaps_between(times: list[float], interval: float) -> list[tuple[float, float]]:
    """The spans between consecutive scrape ``times`` longer than ``GAP_INTERVALS`` intervals."""
    return [(a, b) for a, b in itertools.pairwise(times) if b - a > GAP_INTERVALS * interval]


class ScrapeSummary(msgspec.Struct, frozen=True, kw_only=True):
    scrape_interval: float
    expected: int
    """Scrapes a target should have had in the window."""
    targets: list[ScrapeTarget] = msgspec.field(default_factory=list)


class Index(msgspec.Struct, frozen=True, kw_only=True):
    prometheus_url: str
    start: float
    end: float
    step: float
    metrics: list[str] = msgspec.field(default_factory=list)
    errors: list[str] = msgspec.field(default_factory=list)


Filter = Mapping[str, str] | Callable[[Mapping[str, str]], bool] | None


def _matches(labels: Mapping[str, str], where: Filter) -> bool:
    if where is None:
        return True
    if callable(where):
        return where(labels)
    return all(labels.get(key) == value for key, value in where.items())


def _increase(points: list[tuple[float, float]], *, born_after: float | None = None) -> float:
    """Counter increase over the points, counting a drop as a reset from zero. A series
    whose first sample comes after ``born_after`` was created inside the window (labelled
    counters appear on their first increment), so its first value counts too."""
    total = 0.0
    if points and born_after is not None and points[0][0] > born_after:
        total += points[0][1]
    for (_, before), (_, after) in itertools.pairwise(points):
        total += after - before if after >= before else after
    return total


class PromData:
    """The saved series of one run, by metric name."""

    def __init__(
        self,
        results: Mapping[str, RangeResult],
        *,
        scrapes: ScrapeSummary | None = None,
        index: Index | None = None,
    ) -> None:
        self.results = dict(results)
        self.scrapes = scrapes
        self.index = index

    @classmethod
    def load(cls, run_dir: Path) -> PromData | None:
        """What ``prom/`` holds, or ``None`` when the run saved nothing."""
        folder = run_dir / PROM_DIR
        if not folder.is_dir():
            return None
        results: dict[str, RangeResult] = {}
        scrapes: ScrapeSummary | None = None
        index: Index | None = None
        for path in sorted(folder.glob("*.json")):
            data = path.read_bytes()
            try:
                if path.name == PROM_SCRAPES_FILE:
                    scrapes = msgspec.json.decode(data, type=ScrapeSummary)
                elif path.name == PROM_INDEX_FILE:
                    index = msgspec.json.decode(data, type=Index)
                else:
                    result = msgspec.json.decode(data, type=RangeResult)
                    results[result.metric] = result
            except (msgspec.ValidationError, msgspec.DecodeError) as error:
                raise ValueError(f"{path}: {error}") from None
        return cls(results, scrapes=scrapes, index=index)

    def has(self, metric: str) -> bool:
        return metric in self.results

    def series(self, metric: str, where: Filter = None) -> list[Series]:
        result = self.results.get(metric)
        if result is None:
            return []
        return [s for s in result.series if _matches(s.labels, where)]

    def increase(self, metric: str, where: Filter = None) -> float:
        """Sum over matching series of the counter's increase in the saved window."""
        return sum(
            _increase(s.points, born_after=self._born(metric, s))
            for s in self.series(metric, where)
        )

    def increase_by(self, metric: str, label: str, where: Filter = None) -> dict[str, float]:
        """``increase`` grouped by one label's value."""
        totals: dict[str, float] = {}
        for s in self.series(metric, where):
            key = s.labels.get(label, "")
            totals[key] = totals.get(key, 0.0) + _increase(
                s.points, born_after=self._born(metric, s)
            )
        return totals

    def increase_between(
        self, metric: str, start: float, end: float, where: Filter = None
    ) -> float:
        """Sum over matching series of the counter's increase from ``start`` to ``end`` (Unix
        seconds, at scrape resolution): from the last sample at or before ``start`` (none:
        the series was born later, from zero) to the last at or before ``end``."""
        total = 0.0
        for s in self.series(metric, where):
            before = [p for p in s.points if p[0] <= start][-1:]
            inside = [p for p in s.points if start < p[0] <= end]
            total += _increase(before + inside, born_after=None if before else start - 1)
        return total

    def _born_after(self, metric: str) -> float | None:
        """A first sample later than this (two steps into the window) marks a new series."""
        result = self.results.get(metric)
        return None if result is None else result.start + 2 * result.step

    def _born(self, metric: str, series: Series) -> float | None:
        """A first sample of ``series`` later than this marks it as created inside the window
        (its first value then counts): two steps into the window, or sooner half a step after
        its target's first scrape in the window (``up``), since a scrape exposes every series
        its target has: a labelled counter missing from it did not exist yet (a route's first
        request at +0.98 s on a replica scraped from -0.02 s)."""
        born = self._born_after(metric)
        result = self.results.get(metric)
        first = self._first_scrape(series.labels)
        if result is None or first is None:
            return born
        seen = first + result.step / 2
        return seen if born is None else min(born, seen)

    def _first_scrape(self, labels: Mapping[str, str]) -> float | None:
        """The first sample of the ``up`` series of the target these labels came from (same
        ``instance`` and ``job``); None when ``up`` was not saved or names no such target."""
        instance = labels.get("instance")
        if instance is None or "up" not in self.results:
            return None
        firsts = [
            s.points[0][0]
            for s in self.results["up"].series
            if s.points
            and s.labels.get("instance") == instance
            and s.labels.get("job") == labels.get("job")
        ]
        return min(firsts) if firsts else None

    def counted_span(self, metric: str, where: Filter = None) -> tuple[float, float] | None:
        """The span a counter's ``increase`` covers: from the earliest baseline sample of a
        series that existed before the window (else the window's start) to the latest
        sample. None without samples."""
        result = self.results.get(metric)
        matching = [s for s in self.series(metric, where) if s.points]
        if result is None or not matching:
            return None
        baselines = [
            s.points[0][0]
            for s in matching
            if (born := self._born(metric, s)) is None or s.points[0][0] <= born
        ]
        low = min(baselines) if baselines else result.start
        return low, max(s.points[-1][0] for s in matching)

    def first_increase(self, metric: str, *, after: float, where: Filter = None) -> float | None:
        """The earliest sample time > ``after`` at which a matching counter went up."""
        first: float | None = None
        for s in self.series(metric, where):
            born = self._born(metric, s)
            if s.points and born is not None and s.points[0][0] > max(born, after):
                first = s.points[0][0] if first is None else min(first, s.points[0][0])
                continue
            for (_, before), (t, value) in zip(s.points, s.points[1:], strict=False):
                if t > after and value != before:
                    if first is None or t < first:
                        first = t
                    break
        return first

    def histogram_quantile(self, metric: str, q: float, where: Filter = None) -> float | None:
        """Prometheus's ``histogram_quantile`` over the window's bucket increases (summed
        across matching series by ``le``; linear inside the bucket). ``metric`` is the
        ``_bucket`` family. None without observations; the highest finite bound when the
        quantile falls in ``+Inf``."""
        by_bound: dict[float, float] = {}
        for label, count in self.increase_by(metric, "le", where).items():
            key = float("inf") if label == "+Inf" else float(label)
            by_bound[key] = by_bound.get(key, 0.0) + count
        bounds = sorted(by_bound)
        if not bounds or by_bound[bounds[-1]] <= 0:
            return None
        rank = q * by_bound[bounds[-1]]
        below_bound, below_count = 0.0, 0.0
        for bound in bounds:
            count = by_bound[bound]
            if count >= rank:
                if bound == float("inf"):
                    return below_bound
                if count == below_count:
                    return bound
                return below_bound + (bound - below_bound) * (rank - below_count) / (
                    count - below_count
                )
            below_bound, below_count = bound, count
        return below_bound
