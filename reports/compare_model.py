"""What a comparison is made of: one row per run, each metric of run B against run A, and
the comparison around them. ``reports.compare`` builds them, ``reports.render.compare``
renders them: both import this module, neither the other's.
"""

from __future__ import annotations

import msgspec

from reports.model import Interval, TargetVerdict

__all__ = ["CompareRow", "Comparison", "MetricChange"]


class CompareRow(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    run_dir: str
    report: str
    """The run's own report (report.html), for the detail behind each number."""
    phase: str
    scenario: str
    status: str
    why: str
    """The deciding number(s): what breached, what could not be settled, or that all held."""
    requests: int
    targets: dict[str, float]
    verdicts: list[TargetVerdict]
    """The three targets judged (availability, p95 latency, TTFT p95), value beside target."""
    availability: float | None
    availability_interval: Interval | None
    fault_availability: float | None
    """Good / valid over every request sent inside a fault window."""
    fault_requests: int
    p95_s: float | None
    p95_interval: Interval | None
    fault_p95_s: float | None
    """p95 latency of the good requests sent inside the fault windows (pooled)."""
    ttft_p95_s: float | None
    ttft_p95_interval: Interval | None
    ttft_p99_s: float | None = None
    """TTFT p99 of the run's good streams: the tail hedging cuts (``provider-tail``)."""
    ttft_p99_interval: Interval | None = None
    goodput_rps: float | None
    """Good answers per second over the run."""
    error_budget_consumed: float | None
    attempts_per_request: float | None
    """Upstream attempts per request that reached a provider (the fakes' count when present,
    else the service's)."""
    fault_attempts_per_request: float | None
    """The same, for requests sent inside the fault windows."""
    replicas: int
    providers: int
    regions: int
    servers: int
    """Replicas, load balancers, caches, databases and standbys: what runs the service."""
    units: dict[str, int]
    monthly_cost: float | None = None
    currency: str = "USD"
    downtime_hours_per_year: float | None = None
    """At the measured availability."""
    pays_off_above_per_hour: float | None = None
    """Against the row before: the hourly downtime cost above which this one pays for itself
    (None: first row, no cost, or no downtime saved)."""
    pays_off_note: str = ""


class MetricChange(msgspec.Struct, frozen=True, kw_only=True):
    """One metric of run B against run A."""

    metric: str
    verdict: str
    """``improved``, ``regressed``, ``unchanged`` or ``not comparable`` (a side lacks it)."""
    before: str
    after: str


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    scenario: str
    hypothesis: str
    teaches: str
    rows: list[CompareRow]
    skipped: list[str] = msgspec.field(default_factory=list)
    """One line per phase left out (it lacks a role the scenario needs, or has no run)."""
    prices: str = ""
    """Where the prices came from (file, source, date)."""
    changes: list[MetricChange] = msgspec.field(default_factory=list)
    """``compare RUN_A RUN_B``: each metric of B against A (``judge``); empty otherwise."""
