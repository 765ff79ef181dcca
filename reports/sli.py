"""Client-side SLIs from the per-request log: availability, exact quantiles, timeline.

Definitions (docs/reports.md says the same):

- valid = good + failure (``excluded`` requests, e.g. an abusive user's expected 4xx, do
  not count); availability = good / valid, with its Wilson interval.
- latency and time-to-first-token quantiles are exact nearest-rank quantiles over the
  *good* requests (a failure's latency is how long it took to fail, not a service time).
- error budget consumed = failures / (valid x (1 - availability target)).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from reports.model import Histogram, Interval, Sli, Timeline
from reports.sources import cache_hits, failure_sources
from reports.stats import quantile, wilson
from rundir import RequestRecord

__all__ = [
    "error_budget_consumed",
    "latency_histogram",
    "quantile_label",
    "sli_of",
    "timeline",
]


def quantile_label(q: float) -> str:
    """``0.95`` -> ``p95``, ``0.999`` -> ``p99.9``."""
    text = f"{q * 100:.3f}".rstrip("0").rstrip(".")
    return f"p{text}"


def sli_of(records: Sequence[RequestRecord], quantiles: Sequence[float]) -> Sli:
    """The SLIs of ``records`` (any span of the run)."""
    good = [r for r in records if r.outcome == "good"]
    failures = [r for r in records if r.outcome == "failure"]
    excluded = len(records) - len(good) - len(failures)
    valid = len(good) + len(failures)
    latencies = sorted(r.latency_s for r in good)
    ttfts = sorted(r.ttft_s for r in good if r.ttft_s is not None)
    interval = None
    if valid:
        low, high = wilson(len(good), valid)
        interval = Interval(low=low, high=high, method="wilson")
    return Sli(
        requests=len(records),
        good=len(good),
        failure=len(failures),
        excluded=excluded,
        availability=len(good) / valid if valid else None,
        availability_interval=interval,
        latency={quantile_label(q): quantile(latencies, q) for q in quantiles},
        ttft={quantile_label(q): quantile(ttfts, q) for q in quantiles},
        streams=sum(1 for r in records if r.stream),
        failure_reasons=dict(Counter(r.reason for r in failures).most_common()),
        failure_sources=failure_sources(failures),
        cache_hits=cache_hits(records),
    )


def error_budget_consumed(sli: Sli, target: float) -> float | None:
    """Share of the budget (1 - target) the run's failures used; None without requests."""
    valid = sli.good + sli.failure
    if valid == 0 or target >= 1.0:
        return None
    return sli.failure / (valid * (1.0 - target))


def _bin_size(duration: float) -> float:
    """About 120 bins over the run, in whole seconds (at least 1 s)."""
    return float(max(1, math.ceil(duration / 120)))


def timeline(
    records: Sequence[RequestRecord], *, t0: float, duration: float, bin_s: float | None = None
) -> Timeline:
    """Per-bin requests, failures, availability and latency (p50, p95 of good requests)."""
    size = bin_s if bin_s is not None else _bin_size(duration)
    count = max(1, math.ceil(max(duration, size) / size))
    bins: list[list[RequestRecord]] = [[] for _ in range(count)]
    for record in records:
        index = math.floor((record.t - t0) / size)
        if 0 <= index < count:
            bins[index].append(record)
    availability: list[float | None] = []
    p50: list[float | None] = []
    p95: list[float | None] = []
    failures: list[int] = []
    for members in bins:
        good = sorted(r.latency_s for r in members if r.outcome == "good")
        bad = sum(1 for r in members if r.outcome == "failure")
        valid = len(good) + bad
        failures.append(bad)
        availability.append(len(good) / valid if valid else None)
        p50.append(quantile(good, 0.5))
        p95.append(quantile(good, 0.95))
    return Timeline(
        bin_s=size,
        t=[i * size for i in range(count)],
        requests=[len(members) for members in bins],
        failures=failures,
        availability=availability,
        p50=p50,
        p95=p95,
    )


def latency_histogram(records: Sequence[RequestRecord], *, per_decade: int = 10) -> Histogram:
    """Good requests' latencies in log-spaced bins from 1 ms to the slowest one."""
    values = [r.latency_s for r in records if r.outcome == "good" and r.latency_s > 0]
    if not values:
        return Histogram(edges=[], counts=[])
    low = math.floor(math.log10(max(min(values), 1e-3)) * per_decade)
    high = math.ceil(math.log10(max(values)) * per_decade) + 1
    edges = [10 ** (k / per_decade) for k in range(low, max(high, low + 1) + 1)]
    counts = [0] * (len(edges) - 1)
    for value in values:
        index = math.floor(math.log10(max(value, edges[0])) * per_decade) - low
        counts[min(max(index, 0), len(counts) - 1)] += 1
    return Histogram(edges=edges, counts=counts)
