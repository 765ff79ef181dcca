"""``PrometheusObserver``: the resilience and chat observers, as metrics and log lines.

It implements ``service.resilience.observer.ResilienceObserver`` (attempts, retries,
failovers, breaker transitions, hedging) and ``service.domain.policy.ChatObserver``
(dependency policies, cache lookups, rate-limit decisions, unpersisted turns), and fills
the current request's ``RequestRecord`` for its access-log line. Never raises.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram

from service.domain.policy import FailurePolicy
from service.domain.types import Usage
from service.resilience.observer import BreakerState
from service.telemetry.context import current_record
from service.telemetry.logging import get_logger
from service.telemetry.metrics import ServiceMetrics

__all__ = ["PrometheusObserver"]

M = TypeVar("M", Counter, Histogram)


class _Children(Generic[M]):
    """A labelled metric's children, each looked up once: ``labels()`` takes a lock and
    hashes its arguments, too slow for the per-request callbacks."""

    __slots__ = ("_children", "_metric")

    def __init__(self, metric: M) -> None:
        self._metric: M = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


class PrometheusObserver:
    """Both observers over one ``ServiceMetrics``."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics
        self._log = get_logger("service.telemetry")
        self._attempts = _Children(metrics.attempts)
        self._attempt_seconds = _Children(metrics.attempt_duration)
        self._tokens = _Children(metrics.tokens)
        self._lookups = _Children(metrics.cache_lookups)
        self._decisions = _Children(metrics.rate_limit)

    # -- ResilienceObserver -----------------------------------------------------------

    def attempt(self, provider: str, outcome: str, kind: str, seconds: float) -> None:
        self._attempts(provider, outcome, kind).inc()
        self._attempt_seconds(provider, outcome).observe(seconds)
        record = current_record()
        if record is not None:
            record.attempts += 1

    def retry(self, provider: str, reason: str) -> None:
        self.metrics.retries.labels(provider, reason).inc()

    def failover(self, from_provider: str, to_provider: str, reason: str) -> None:
        self.metrics.failovers.labels(from_provider, to_provider, reason).inc()

    def short_circuit(self, provider: str) -> None:
        self.metrics.short_circuits.labels(provider).inc()

    def breaker_transition(self, provider: str, old: BreakerState, new: BreakerState) -> None:
        self.metrics.set_breaker_state(provider, str(new))
        self.metrics.breaker_transitions.labels(provider, str(new)).inc()
        self._log.warning("breaker_transition", provider=provider, old=str(old), new=str(new))

    def breaker_opened(self, provider: str, failures: int) -> None:
        self.metrics.breaker_failures_at_open.labels(provider).observe(failures)

    def attempts_per_request(self, attempts: int) -> None:
        self.metrics.attempts_per_request.observe(attempts)

    def budget_exhausted(self, provider: str) -> None:
        self.metrics.budget_exhausted.labels(provider).inc()

    def first_token(self, provider: str, seconds: float) -> None:
        self.metrics.first_token.labels(provider).observe(seconds)

    def hedge(self, primary: str, secondary: str, winner: str) -> None:
        outcome = "primary" if winner == primary else "secondary" if winner == secondary else "none"
        self.metrics.hedges.labels(primary, outcome).inc()

    # -- ChatObserver -----------------------------------------------------------------

    def dependency_failure(self, dependency: str, policy: FailurePolicy) -> None:
        self.metrics.dependency_failures.labels(dependency, str(policy)).inc()
        self._log.warning("dependency_failure", dependency=dependency, policy=str(policy))

    def cache_lookup(self, cache: str, outcome: str) -> None:
        self._lookups(cache, outcome).inc()

    def rate_limit(self, tier: str, outcome: str) -> None:
        self._decisions(tier, outcome).inc()

    def turns_unpersisted(self, count: int, reason: str) -> None:
        self.metrics.unpersisted.labels(reason).inc(count)
        self._log.warning("turns_unpersisted", count=count, reason=reason)

    def chat_result(self, *, provider: str, model: str, cached: bool, usage: Usage) -> None:
        if not cached:
            self._tokens(provider, "input").inc(usage.input_tokens)
            self._tokens(provider, "output").inc(usage.output_tokens)
        record = current_record()
        if record is not None:
            record.provider = provider
            record.model = model
            record.cached = cached

    def stream_interrupted(self, provider: str, kind: str) -> None:
        self.metrics.stream_interruptions.labels(provider, kind).inc()
        self._log.warning("stream_interrupted", provider=provider, kind=kind)

    def dependency_status(self, dependency: str, up: bool) -> None:
        self.metrics.dependency_up.labels(dependency).set(1.0 if up else 0.0)
