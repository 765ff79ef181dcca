"""``PrometheusObserver``: the resilience and chat observers, as metrics and log lines.

It implements ``service.resilience.observer.ResilienceObserver`` (attempts, retries,
failovers, breaker transitions, hedging) and ``service.domain.policy.ChatObserver``
(dependency policies, cache lookups, rate-limit decisions, unpersisted turns), and fills
the current request's ``RequestRecord`` for its access-log line. Never raises.
"""

from __future__ import annotations

from typing import Any

from service.domain.policy import FailurePolicy
from service.domain.types import Usage
from service.resilience.observer import BreakerState
from service.telemetry.context import current_record
from service.telemetry.logging import get_logger
from service.telemetry.metrics import ServiceMetrics

__all__ = ["PrometheusObserver"]


class PrometheusObserver:
    """Both observers over one ``ServiceMetrics``."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics
        self._log = get_logger("service.telemetry")
        self._attempts: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._tokens: dict[str, tuple[Any, Any]] = {}
        self._lookups: dict[tuple[str, str], Any] = {}
        self._decisions: dict[tuple[str, str], Any] = {}

    # -- ResilienceObserver -----------------------------------------------------------

    def attempt(self, provider: str, outcome: str, kind: str, seconds: float) -> None:
        key = (provider, outcome, kind)
        children = self._attempts.get(key)
        if children is None:  # memoized label lookups (hot path)
            m = self.metrics
            children = (m.attempts.labels(*key), m.attempt_duration.labels(provider, outcome))
            self._attempts[key] = children
        children[0].inc()
        children[1].observe(seconds)
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
        key = (cache, outcome)
        child = self._lookups.get(key)
        if child is None:  # memoized label lookup (hot path: one per completion)
            child = self._lookups[key] = self.metrics.cache_lookups.labels(*key)
        child.inc()

    def rate_limit(self, tier: str, outcome: str) -> None:
        key = (tier, outcome)
        child = self._decisions.get(key)
        if child is None:  # memoized label lookup (hot path: one per request)
            child = self._decisions[key] = self.metrics.rate_limit.labels(*key)
        child.inc()

    def turns_unpersisted(self, count: int, reason: str) -> None:
        self.metrics.unpersisted.labels(reason).inc(count)
        self._log.warning("turns_unpersisted", count=count, reason=reason)

    def chat_result(self, *, provider: str, model: str, cached: bool, usage: Usage) -> None:
        if not cached:
            tokens = self._tokens.get(provider)
            if tokens is None:
                m = self.metrics
                tokens = (m.tokens.labels(provider, "input"), m.tokens.labels(provider, "output"))
                self._tokens[provider] = tokens
            tokens[0].inc(usage.input_tokens)
            tokens[1].inc(usage.output_tokens)
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
