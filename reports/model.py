"""The report as data: what ``report.json`` holds (schema ``chaoslab-report``, version 1).

Every renderer (HTML, Markdown, JUnit, the terminal) reads a ``Report`` and nothing else,
and ``chaoslab compare`` compares ``Report`` values. Times inside a run are seconds from
the run's start (``t0``, Unix seconds); durations are seconds; ratios are 0..1.
The JSON Schema (docs/report.schema.json) is generated from these Structs
(``python -m reports.schema``) and documented field by field in docs/report-schema.md.
Version rule: adding an optional field keeps version 1; renaming, removing or changing
the meaning of a field makes version 2.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "REPORT_SCHEMA",
    "REPORT_VERSION",
    "Check",
    "Histogram",
    "Interval",
    "Override",
    "ProviderView",
    "Report",
    "RunFacts",
    "ServerView",
    "Sli",
    "Status",
    "TargetVerdict",
    "Timeline",
    "Verdict",
    "WindowSli",
]

REPORT_SCHEMA = "chaoslab-report"
REPORT_VERSION = 1

Verdict = Literal["pass", "fail", "inconclusive", "not_exercised"]
Status = Literal["met", "breached", "inconclusive", "invalid"]


class Interval(msgspec.Struct, frozen=True, kw_only=True):
    """A 95 % interval; a bound is null when the sample is too small to place it."""

    low: float | None
    high: float | None
    method: Literal["wilson", "order-statistic"]


class TargetVerdict(msgspec.Struct, frozen=True, kw_only=True):
    """One target of the SLA, judged on the run's requests."""

    name: str
    """``availability``, ``latency_p95``, ``ttft_p95``, or ``check:<stage>:<name>``."""
    title: str
    comparison: Literal[">=", "<=", "=="]
    target: float | None
    value: float | None
    unit: Literal["ratio", "s", "bool"]
    interval: Interval | None = None
    verdict: Verdict
    requests: int = 0
    """Requests the value rests on."""
    requests_needed: int | None = None
    """For an inconclusive verdict: requests that would settle it at the observed rate."""
    reason: str = ""
    overridden: bool = False
    """The scenario changed this target from the phase's."""


class Override(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    phase_value: float
    scenario_value: float
    loosens: bool
    """The scenario's target is easier to meet than the phase's."""


class Sli(msgspec.Struct, frozen=True, kw_only=True):
    """Client-side SLIs over a span of requests (whole run or one fault window)."""

    requests: int
    good: int
    failure: int
    excluded: int
    availability: float | None
    availability_interval: Interval | None
    latency: dict[str, float | None]
    """Quantile label (``p50``, ``p95``...) -> seconds, over good requests."""
    ttft: dict[str, float | None]
    """The same over good streams' time to first token."""
    streams: int = 0
    failure_reasons: dict[str, int] = msgspec.field(default_factory=dict)


class WindowSli(msgspec.Struct, frozen=True, kw_only=True):
    """One fault window and what the service did inside and after it."""

    id: str
    target: str
    action: str
    start: float
    end: float
    closed: bool
    sli: Sli
    impact_s: float | None
    """From the fault's start to the first client failure; null: none failed."""
    mitigation_s: float | None
    """From the fault's start to the first breaker opening or failover; null: none seen."""
    mitigation_kind: str | None
    recovery_s: float | None
    """From the fault's end to the moment from which rolling availability stayed at the
    target; null: it never did within the run."""
    recovered: bool
    exercised: bool
    """Whether any request fell inside the window."""


class ServerView(msgspec.Struct, frozen=True, kw_only=True):
    """The service's own count (``chat_http_requests_total`` over the API routes)."""

    requests: float
    good: float
    failure: float
    availability: float | None
    client_requests: int
    """The client's requests that ended inside the span the service's counter covers (its
    first to last scrape): the figure ``requests`` reconciles with."""
    difference: float | None
    """(server - client) / client, for the reconciliation check."""
    latency: dict[str, float | None] = msgspec.field(default_factory=dict)
    """Quantile label -> seconds from the service's latency histogram (API routes), as
    Prometheus's histogram_quantile estimates it: good within one bucket's width."""
    ttft: dict[str, float | None] = msgspec.field(default_factory=dict)
    """The same from the providers' time-to-first-token histogram."""


class ProviderView(msgspec.Struct, frozen=True, kw_only=True):
    provider: str
    attempts: float
    errors: float
    retries: float
    failovers_from: float
    failovers_to: float
    breaker_transitions: dict[str, float]
    """State entered -> count."""
    breaker_timeline: list[tuple[float, float]] = msgspec.field(default_factory=list)
    """``[t, state]`` with state 0 closed, 1 half-open, 2 open."""
    fake_requests: float | None = None
    """What the fake itself counted (retry amplification's denominator)."""


class Check(msgspec.Struct, frozen=True, kw_only=True):
    """A steady-state check the runner recorded (``check`` event)."""

    t: float
    stage: str
    name: str
    passed: bool | None
    value: str | float | bool | None = None
    """What the check measured, as the runner recorded it (other shapes become text)."""


class Timeline(msgspec.Struct, frozen=True, kw_only=True):
    """Per-bin series over the run for the plots (bin starts in seconds from t0)."""

    bin_s: float
    t: list[float]
    requests: list[int]
    failures: list[int]
    availability: list[float | None]
    p50: list[float | None]
    p95: list[float | None]


class Histogram(msgspec.Struct, frozen=True, kw_only=True):
    """Latency distribution of good requests: counts between log-spaced edges (seconds)."""

    edges: list[float]
    counts: list[int]


class RunFacts(msgspec.Struct, frozen=True, kw_only=True):
    run_dir: str
    phase: str
    phase_title: str
    backend: str
    scenario: str
    hypothesis: str
    seed: int | None
    command: str
    git_commit: str
    versions: dict[str, str]
    t0: float
    """The run's start, Unix seconds; every other time is relative to it."""
    duration_s: float
    finished: bool
    end_status: str
    end_reason: str


class Report(msgspec.Struct, frozen=True, kw_only=True):
    schema: str = REPORT_SCHEMA
    version: int = REPORT_VERSION
    generated_at: float
    status: Status
    exit_code: int
    """What ``chaoslab report`` exits with for these options (see docs/reports.md)."""
    gate: bool
    summary: str
    """One line: the answer."""
    invalid_reasons: list[str]
    warnings: list[str]
    run: RunFacts
    targets: dict[str, float]
    """The targets judged (after overrides): availability, latency_p95_s, ttft_p95_s."""
    quantiles: list[float]
    overrides: list[Override]
    verdicts: list[TargetVerdict]
    sli: Sli
    error_budget_consumed: float | None
    """failures / (valid * (1 - availability target)); 1.0 = the whole budget."""
    windows: list[WindowSli]
    recovery_window_s: float
    """The rolling window recovery is measured with."""
    checks: list[Check]
    server: ServerView | None
    providers: list[ProviderView]
    attempts_per_request: float | None
    """Upstream attempts per client request the service made (1.0 = no retry, no failover)."""
    timeline: Timeline
    latency_histogram: Histogram
