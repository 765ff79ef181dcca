"""Every metric of the chat service, in one place, each with a one-line description.

``METRICS`` is the catalog (name, type, labels, description) that dashboards, the lab's
reports and ``catalog()`` read; ``ServiceMetrics`` creates exactly these on a registry.
Labels are low-cardinality and fixed: route template, method, status, provider, outcome,
error kind, dependency, cache, tier. Never user ids, raw paths or message text.

Processes: the lab runs one granian worker per replica process, so one process owns its
metrics. With several workers set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory,
before the process starts): values then go to shared files and ``render()`` merges them
(prometheus_client's multiprocess mode; gauges declare how they merge).
"""

from __future__ import annotations

import os
from typing import Literal

import msgspec
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "CONTENT_TYPE_LATEST",
    "METRICS",
    "MetricSpec",
    "ServiceMetrics",
    "catalog",
    "render",
]

MetricType = Literal["counter", "gauge", "histogram"]

# Around every phase's latency and time-to-first-token target (lab/phases.toml: 0.5 .. 5 s)
# neighbouring bounds differ by a ratio of about 1.1, so a target never falls between
# coarse buckets and a histogram quantile near it is off by at most ~10 %.
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.36, 1.5, 1.65, 1.8,
    2.0, 2.2, 2.5, 2.75, 3.0, 3.3, 3.6, 4.1, 4.5, 5.0, 5.5, 6.0, 7.5, 10.0, 30.0, 60.0,
)  # fmt: skip
ATTEMPT_BUCKETS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15)
# Failures a breaker absorbed before opening: from one (min_calls=1) past the default
# min_calls (10) to what a busy replica's window holds under load.
BREAKER_FAILURE_BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100)


class MetricSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One metric as exported (counters carry their ``_total`` suffix)."""

    name: str
    type: MetricType
    labels: tuple[str, ...]
    description: str
    buckets: tuple[float, ...] = ()
    multiprocess_mode: str = "livesum"


def _c(name: str, labels: tuple[str, ...], description: str) -> MetricSpec:
    return MetricSpec(name=name, type="counter", labels=labels, description=description)


def _h(
    name: str, labels: tuple[str, ...], description: str, buckets: tuple[float, ...]
) -> MetricSpec:
    return MetricSpec(
        name=name, type="histogram", labels=labels, description=description, buckets=buckets
    )


def _g(name: str, labels: tuple[str, ...], description: str, mode: str) -> MetricSpec:
    return MetricSpec(
        name=name, type="gauge", labels=labels, description=description, multiprocess_mode=mode
    )


METRICS: tuple[MetricSpec, ...] = (
    # HTTP
    _c("chat_http_requests_total", ("route", "method", "status"),
       "HTTP requests served, by route template, method and status code."),
    _h("chat_http_request_duration_seconds", ("route", "method"),
       "HTTP request latency until the response or stream ended, seconds.", LATENCY_BUCKETS),
    _g("chat_http_requests_in_flight", (),
       "HTTP requests being served right now (streams included).", "livesum"),
    # providers and resilience
    _c("chat_provider_attempts_total", ("provider", "outcome", "kind"),
       "Upstream attempts by provider, outcome (success|error|cancelled) and error kind."),
    _h("chat_provider_attempt_duration_seconds", ("provider", "outcome"),
       "Upstream attempt duration (streams: until the first event), seconds.", LATENCY_BUCKETS),
    _h("chat_provider_time_to_first_token_seconds", ("provider",),
       "Time from a stream attempt's start to its first event, seconds.", LATENCY_BUCKETS),
    _c("chat_provider_tokens_total", ("provider", "direction"),
       "Tokens reported by providers, direction input|output (cache hits excluded)."),
    _c("chat_provider_retries_total", ("provider", "reason"),
       "Retries scheduled at the same provider, by the error kind that caused them."),
    _c("chat_provider_failovers_total", ("from_provider", "to_provider", "reason"),
       "Requests moved on along the provider chain, by reason."),
    _c("chat_provider_short_circuits_total", ("provider",),
       "Calls refused without an attempt because the provider's breaker was open."),
    _c("chat_retry_budget_exhausted_total", ("provider",),
       "Retries refused by the provider's retry budget."),
    _c("chat_provider_hedges_total", ("provider", "outcome"),
       "Hedged races started after the primary provider was slow, outcome primary|secondary|none."),
    _g("chat_breaker_state", ("provider",),
       "Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.", "livemax"),
    _c("chat_breaker_transitions_total", ("provider", "state"),
       "Circuit breaker transitions per provider, by the state entered."),
    _h("chat_breaker_failures_at_open", ("provider",),
       "Failures in the breaker's window when it opened (closed -> open only), per provider.",
       BREAKER_FAILURE_BUCKETS),
    _h("chat_upstream_attempts_per_request", (),
       "Upstream attempts one client request made, all providers together.", ATTEMPT_BUCKETS),
    _c("chat_stream_interruptions_total", ("provider", "kind"),
       "Streams that failed after their first token (ended with an error event)."),
    # state
    _c("chat_cache_lookups_total", ("cache", "outcome"),
       "Cache lookups, cache response|turns, outcome hit|miss|error."),
    _c("chat_rate_limit_decisions_total", ("tier", "outcome"),
       "Rate-limit decisions per tier: allowed|limited|fail_open|fail_closed."),
    _c("chat_store_operations_total", ("operation", "outcome"),
       "Conversation store operations by outcome ok|unavailable|error."),
    _h("chat_store_operation_duration_seconds", ("operation",),
       "Conversation store operation latency, seconds.", LATENCY_BUCKETS),
    _c("chat_dependency_failures_total", ("dependency", "policy"),
       "Dependency failures and the policy applied: fail-open carried on, fail-closed 503."),
    _c("chat_unpersisted_turns_total", ("reason",),
       "Turns answered but not known to be stored, by reason: store_unavailable, "
       "stream_incomplete, duplicate_request, outcome_unknown (the write failed and may "
       "have committed)."),
    _g("chat_dependency_up", ("dependency",),
       "Whether a dependency answered its last probe (1) or not (0).", "livemin"),
    _g("chat_draining", (),
       "1 while the process drains after SIGTERM (readiness answers 503).", "livemax"),
)  # fmt: skip
"""The catalog: every metric the service exports."""


def catalog() -> list[dict[str, object]]:
    """Name, type, labels and description of every metric (for the lab's reports)."""
    return [
        {"name": m.name, "type": m.type, "labels": list(m.labels), "description": m.description}
        for m in METRICS
    ]


_BREAKER_VALUES = {"closed": 0.0, "half_open": 1.0, "open": 2.0}


class ServiceMetrics:
    """The metrics of ``METRICS`` created on ``registry`` (a private one by default, so
    several apps can live in one test process)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        made: dict[str, Counter | Gauge | Histogram] = {}
        for spec in METRICS:
            made[spec.name] = _make(spec, self.registry)
        self._m = made
        self.http_requests: Counter = self._counter("chat_http_requests_total")
        self.http_duration: Histogram = self._histogram("chat_http_request_duration_seconds")
        self.http_in_flight: Gauge = self._gauge("chat_http_requests_in_flight")
        self.attempts: Counter = self._counter("chat_provider_attempts_total")
        self.attempt_duration: Histogram = self._histogram("chat_provider_attempt_duration_seconds")
        self.first_token: Histogram = self._histogram("chat_provider_time_to_first_token_seconds")
        self.tokens: Counter = self._counter("chat_provider_tokens_total")
        self.retries: Counter = self._counter("chat_provider_retries_total")
        self.failovers: Counter = self._counter("chat_provider_failovers_total")
        self.short_circuits: Counter = self._counter("chat_provider_short_circuits_total")
        self.budget_exhausted: Counter = self._counter("chat_retry_budget_exhausted_total")
        self.hedges: Counter = self._counter("chat_provider_hedges_total")
        self.breaker_state: Gauge = self._gauge("chat_breaker_state")
        self.breaker_transitions: Counter = self._counter("chat_breaker_transitions_total")
        self.breaker_failures_at_open: Histogram = self._histogram("chat_breaker_failures_at_open")
        self.attempts_per_request: Histogram = self._histogram("chat_upstream_attempts_per_request")
        self.stream_interruptions: Counter = self._counter("chat_stream_interruptions_total")
        self.cache_lookups: Counter = self._counter("chat_cache_lookups_total")
        self.rate_limit: Counter = self._counter("chat_rate_limit_decisions_total")
        self.store_ops: Counter = self._counter("chat_store_operations_total")
        self.store_duration: Histogram = self._histogram("chat_store_operation_duration_seconds")
        self.dependency_failures: Counter = self._counter("chat_dependency_failures_total")
        self.unpersisted: Counter = self._counter("chat_unpersisted_turns_total")
        self.dependency_up: Gauge = self._gauge("chat_dependency_up")
        self.draining: Gauge = self._gauge("chat_draining")

    def set_breaker_state(self, provider: str, state: str) -> None:
        """Export ``state`` (``closed`` | ``half_open`` | ``open``) as a number."""
        self.breaker_state.labels(provider).set(_BREAKER_VALUES.get(state, -1.0))

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type (multiprocess-aware)."""
        return render(self.registry)

    def _counter(self, name: str) -> Counter:
        metric = self._m[name]
        assert isinstance(metric, Counter)
        return metric

    def _gauge(self, name: str) -> Gauge:
        metric = self._m[name]
        assert isinstance(metric, Gauge)
        return metric

    def _histogram(self, name: str) -> Histogram:
        metric = self._m[name]
        assert isinstance(metric, Histogram)
        return metric


def _make(spec: MetricSpec, registry: CollectorRegistry) -> Counter | Gauge | Histogram:
    if spec.type == "counter":
        return Counter(spec.name, spec.description, spec.labels, registry=registry)
    if spec.type == "histogram":
        return Histogram(
            spec.name, spec.description, spec.labels, registry=registry, buckets=spec.buckets
        )
    mode = spec.multiprocess_mode
    return Gauge(
        spec.name,
        spec.description,
        spec.labels,
        registry=registry,
        multiprocess_mode=mode,  # type: ignore[arg-type]
    )


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    """Exposition of ``registry``; with ``PROMETHEUS_MULTIPROC_DIR`` set, of every worker."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged), CONTENT_TYPE_LATEST
    return generate_latest(registry), CONTENT_TYPE_LATEST
