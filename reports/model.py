"""The report as data: what ``report.json`` holds (schema ``chaoslab-report``, version 1).

Every renderer (HTML, Markdown, JUnit, the terminal) reads a ``Report`` and nothing else,
and ``chaoslab compare`` compares ``Report`` values. Times inside a run are seconds from
the run's start (``t0``, Unix seconds); durations are seconds; ratios are 0..1.
The JSON Schema (docs/report.schema.json) is generated from these Structs
(``python -m reports.schema``) and documented field by field in docs/report-schema.md.
Version rule: adding an optional field keeps version 1; renaming, removing or changing
the meaning of a field makes version 2.

Over 400 lines on purpose: it is the whole ``report.json`` schema, Structs and field
docstrings only (no logic), kept in one module so the generated JSON Schema and
docs/report-schema.md follow one file.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "REPORT_SCHEMA",
    "REPORT_VERSION",
    "BreakerReaction",
    "BurnRate",
    "Check",
    "CheckState",
    "FailoverTime",
    "Histogram",
    "Interval",
    "LlmCheck",
    "LlmReport",
    "LoadRates",
    "Override",
    "ProviderView",
    "ReplicaCount",
    "Report",
    "RunFacts",
    "ServerView",
    "Sli",
    "Status",
    "StreamSli",
    "StreamWindow",
    "TargetVerdict",
    "Timeline",
    "TimelineEvent",
    "UpstreamSpan",
    "Verdict",
    "WindowSli",
]

REPORT_SCHEMA = "chaoslab-report"
REPORT_VERSION = 1

Verdict = Literal["pass", "fail", "inconclusive", "not_exercised"]
Status = Literal["met", "breached", "inconclusive", "invalid"]
CheckState = Literal["pass", "fail", "not_applicable", "not_exercised"]


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
    failure_sources: dict[str, int] = msgspec.field(default_factory=dict)
    """Failures by who answered (``reports.sources``): ``load_balancer``, ``client_timeout``,
    ``no_response``, ``load_generator``, or ``replica``/``provider``/``dependency`` with
    ``:<replica>`` when the replica is known."""
    cache_hits: int | None = None
    """Good answers served from the service's response cache; null: the log does not say."""


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
    replicas: list[ReplicaCount] = msgspec.field(default_factory=list)
    """Per replica, over each one's own scrape span (empty: the client's log does not name
    replicas; then ``requests``/``client_requests`` use one span for all)."""
    load_balancer_answers: int = 0
    """Client requests the load balancer answered itself (they never reached a replica, so
    no replica counted them): shown apart, not in ``client_requests``."""
    stream_interruptions: float = 0.0
    """Streams the service counted as interrupted after their 200 (counted as failures in
    ``failure`` and ``availability``, as the client counts them)."""
    tolerance: float = 2.0
    """The reconciliation's allowance: max(0.1 % of the client's requests, 2 requests)."""
    reconciled: bool | None = None
    """|requests - client_requests| <= tolerance; null without client requests."""


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
    cut_at_impact: int = 0
    """Requests a steady-state check left out: streams cut at a fault's start, past their
    first token (the run's availability counts them)."""


class Timeline(msgspec.Struct, frozen=True, kw_only=True):
    """Per-bin series over the run for the plots (bin starts in seconds from t0)."""

    bin_s: float
    t: list[float]
    requests: list[int]
    failures: list[int]
    availability: list[float | None]
    p50: list[float | None]
    p95: list[float | None]


class TimelineEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One thing that happened during the run, from the run directory's files: what the
    report's timeline lists (``reports.eventlog``)."""

    t: float
    """Seconds from t0 (scrape resolution for events read from Prometheus series)."""
    kind: str
    """``fault_start``, ``fault_end``, ``breaker``, ``lb_server``, ``lb_backend``,
    ``readiness``, ``restart``, ``promotion``, ``worker``, ``abort``."""
    subject: str
    """What it happened to: a fault id, ``replica-1 → openai``, an HAProxy server name..."""
    state: str
    """``on``/``off``, ``open``/``half-open``/``closed``, ``down``/``up``, ``joined``/``left``..."""
    detail: str = ""
    """The reason, where the source gives one (HAProxy's check result, the fault's action)."""
    source: str = ""
    """The file it came from: ``events``, ``prom``, ``lb``."""


class ReplicaCount(msgspec.Struct, frozen=True, kw_only=True):
    """One replica's own count against the client's requests it answered, both over the
    span the replica's counter covers (its own first to last scrape)."""

    replica: str
    server: float
    """The replica's ``chat_http_requests_total`` increase over the API routes."""
    client: int
    """Client requests this replica answered (``x-chat-replica``) that ended in its span."""
    span: tuple[float, float]
    """Seconds from t0: the counter's baseline sample to its last one."""


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
    stack_seed: int | None = None
    """The seed the stack was brought up with (``chaoslab up --seed``)."""
    up_command: str = ""
    """The ``chaoslab up`` that makes a stack like the run's (phase, seed, backend)."""
    command: str
    git_commit: str
    versions: dict[str, str]
    t0: float
    """The run's start, Unix seconds; every other time is relative to it."""
    duration_s: float
    finished: bool
    end_status: str
    end_reason: str


class StreamSli(msgspec.Struct, frozen=True, kw_only=True):
    """LLM stream SLIs over a span of requests (whole run or one fault window).

    ``answered``: streams the front door answered 2xx (the ones whose tokens were timed).
    TTFT is over good streams (as the ``ttft_p95`` target); inter-token latency quantiles
    are over the answered streams' *per-request p95 gaps* (the client keeps each stream's
    gap summary, not every gap); tokens/s over answered streams with two tokens or more."""

    streams: int
    answered: int
    complete: int
    completion_rate: float | None
    """complete / answered; null when no stream was answered (not exercised)."""
    ttft: dict[str, float | None]
    itl: dict[str, float | None]
    """Quantile label -> seconds, over the answered streams' per-request p95 gaps."""
    itl_max_s: float | None
    """The longest single gap any stream had (the worst stall)."""
    tokens_per_s_p50: float | None
    tokens: int
    """Tokens the answered streams received."""
    exercised: bool


class StreamWindow(msgspec.Struct, frozen=True, kw_only=True):
    """The stream SLIs inside one fault window (seconds from t0)."""

    id: str
    start: float
    end: float
    sli: StreamSli


class LlmCheck(msgspec.Struct, frozen=True, kw_only=True):
    """An LLM-aware check with a threshold from the phase file (``[phase.checks]``)."""

    name: str
    """``max_attempts_per_request``, ``breaker_opens_within_failures``, ``failover_s``,
    ``mixed_answers`` or ``burn_rate``."""
    title: str
    window: str | None = None
    """The fault window's id it judges; null: the whole run."""
    state: CheckState
    """``not_applicable``: the phase sets no threshold; ``not_exercised``: nothing to judge."""
    value: float | None
    threshold: float | None
    reason: str = ""


class UpstreamSpan(msgspec.Struct, frozen=True, kw_only=True):
    """The fakes' own count of what the client's requests cost upstream, over a span.

    Attempts and tokens come from the fakes' request logs (``RUN/upstream/``), joined to the
    client's requests by the service's request id; only client requests sent in the span
    count. ``window``: null for the whole run, ``steady`` for the time outside every fault
    window, else a fault window's id."""

    window: str | None = None
    requests: int
    """Valid client requests sent in the span that carry a request id."""
    reached: int
    """Of those, requests at least one fake saw (cache hits and refusals reach none)."""
    attempts: int
    """Attempts the fakes logged for them (retries, failovers and hedges included)."""
    attempts_per_request: float | None
    """attempts / reached; null when no request reached a fake."""
    max_attempts: int | None
    """The most attempts one client request made."""
    failed_attempts: int
    """Attempts a fake answered with an error, a reset, a hang or a cut stream."""
    served_tokens: int
    """Completion tokens the fakes sent for these requests (failed attempts included)."""
    good_answers: int
    tokens_per_good_answer: float | None
    """served_tokens / good answers: what one successful answer cost in tokens."""
    token_amplification: float | None = None
    """tokens_per_good_answer / the steady span's: 1.0 = a fault cost no extra tokens."""


class FailoverTime(msgspec.Struct, frozen=True, kw_only=True):
    """How long a provider fault took to be answered around (seconds from its start to the
    first answer another provider served to a request sent in the window)."""

    window: str
    provider: str
    """The provider the fault took out."""
    next_provider: str | None
    """Who answered first instead; null: nobody did within the window."""
    seconds: float | None


class BreakerReaction(msgspec.Struct, frozen=True, kw_only=True):
    """One replica's breaker for one faulted provider, inside one fault window."""

    window: str
    replica: str
    provider: str
    opened: bool
    failures_at_open: float | None
    """Failures the breaker's window held when it opened (an upper bound: the histogram's
    bucket; exact for small counts). Null when it did not open."""
    failures: float
    """Failed attempts this replica made to the provider in the window (service's count)."""


class BurnRate(msgspec.Struct, frozen=True, kw_only=True):
    """The multi-window burn-rate rule scaled to the run (client requests, error budget
    ``1 - availability target``): alarm when both windows burn faster than the threshold."""

    threshold: float
    long_window_s: float
    short_window_s: float
    min_requests: int
    """A long window counts only with this many requests (so one failure cannot alarm)."""
    evaluations: int
    """Times the rule could be evaluated (both windows held enough requests)."""
    peak: float | None
    """The highest burn rate both windows reached at once (min of the two)."""
    first_alarm_s: float | None
    """Seconds from t0 when both windows first burned past the threshold."""


class LlmReport(msgspec.Struct, frozen=True, kw_only=True):
    """LLM stream SLIs, overall and per fault window, and the LLM-aware checks."""

    sli: StreamSli
    windows: list[StreamWindow]
    checks: list[LlmCheck]
    upstream: list[UpstreamSpan] = msgspec.field(default_factory=list)
    """The whole run, the steady span, then each fault window; empty without fakes' logs."""
    failovers: list[FailoverTime] = msgspec.field(default_factory=list)
    breakers: list[BreakerReaction] = msgspec.field(default_factory=list)
    burn: BurnRate | None = None
    marked_answers: int = 0
    """Answers whose text carried provider marks."""
    mixed_answers: int = 0
    """Of those, answers with text from two providers or more."""


class LoadRates(msgspec.Struct, frozen=True, kw_only=True):
    """The load offered, what was sent, and the goodput, per second of the run
    (``reports.load``)."""

    model: Literal["open", "closed"]
    """open: requests started at a rate whatever the service did; closed: users waiting for
    their answers."""
    offered_rate: float | None
    """Requests/s the open model offered; null for closed users."""
    users: int | None
    """Closed-model users; null for the open model."""
    achieved_rate: float | None
    """Requests/s sent in the run (arrivals dropped at the in-flight cap or late not sent)."""
    goodput: float | None
    """Requests/s that met every target: a good answer within the latency target (and, for a
    stream, its first token within the TTFT target)."""
    good_within_targets: int
    """The requests goodput counts."""
    goodput_share: float | None
    """good_within_targets / valid requests."""
    duration_auto: bool = False
    """The run was sized by ``--duration auto``."""
    requests_needed: int | None = None
    """Valid requests the plan sized the run for (a conclusive pass when nothing fails)."""


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
    llm: LlmReport | None = None
    """LLM stream SLIs and checks; null only in reports written before they existed."""
    load: LoadRates | None = None
    """Offered vs achieved rate and goodput; null only in reports written before them."""
    events: list[TimelineEvent] = msgspec.field(default_factory=list)
    """What happened, in time order: faults, breakers, the load balancer's servers,
    readiness, restarts, promotions, load workers (``reports.eventlog``)."""
    warmup_requests: int = 0
    """Requests the load sent before the run's start (not counted in any figure)."""
