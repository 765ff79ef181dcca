"""``PrometheusObserver``: each callback lands in its catalogued metric, under its labels."""

from __future__ import annotations

from service.domain.types import Usage
from service.resilience.observer import BreakerState
from service.telemetry.metrics import ServiceMetrics
from service.telemetry.observer import PrometheusObserver


def _observer() -> tuple[PrometheusObserver, ServiceMetrics]:
    metrics = ServiceMetrics()
    return PrometheusObserver(metrics), metrics


def _value(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_attempts_are_counted_and_timed_per_label_set() -> None:
    """Repeated attempts add up in one series per label set; durations per outcome."""
    observer, metrics = _observer()
    observer.attempt("openai", "success", "ok", 0.25)
    observer.attempt("openai", "success", "ok", 0.75)
    observer.attempt("openai", "error", "timeout", 2.0)
    total = "chat_provider_attempts_total"
    assert _value(metrics, total, provider="openai", outcome="success", kind="ok") == 2
    assert _value(metrics, total, provider="openai", outcome="error", kind="timeout") == 1
    seconds = "chat_provider_attempt_duration_seconds_sum"
    assert _value(metrics, seconds, provider="openai", outcome="success") == 1.0
    assert _value(metrics, seconds, provider="openai", outcome="error") == 2.0


def test_tokens_are_counted_by_direction_and_cache_hits_skipped() -> None:
    """Provider answers count input and output tokens; cached answers count none."""
    observer, metrics = _observer()
    for _ in range(2):
        observer.chat_result(provider="p", model="m", cached=False, usage=Usage(3, 5))
    observer.chat_result(provider="p", model="m", cached=True, usage=Usage(100, 100))
    name = "chat_provider_tokens_total"
    assert _value(metrics, name, provider="p", direction="input") == 6
    assert _value(metrics, name, provider="p", direction="output") == 10


def test_cache_lookups_and_rate_limit_decisions_are_counted_per_label_set() -> None:
    """Each (cache, outcome) and (tier, outcome) pair is its own series."""
    observer, metrics = _observer()
    observer.cache_lookup("response", "miss")
    observer.cache_lookup("response", "miss")
    observer.cache_lookup("response", "hit")
    observer.rate_limit("default", "allowed")
    observer.rate_limit("pro", "allowed")
    observer.rate_limit("default", "allowed")
    lookups = "chat_cache_lookups_total"
    assert _value(metrics, lookups, cache="response", outcome="miss") == 2
    assert _value(metrics, lookups, cache="response", outcome="hit") == 1
    decisions = "chat_rate_limit_decisions_total"
    assert _value(metrics, decisions, tier="default", outcome="allowed") == 2
    assert _value(metrics, decisions, tier="pro", outcome="allowed") == 1


def test_breaker_transitions_set_the_state_gauge() -> None:
    """A transition exports the new state as a number and counts the transition."""
    observer, metrics = _observer()
    observer.breaker_transition("openai", BreakerState.CLOSED, BreakerState.OPEN)
    assert _value(metrics, "chat_breaker_state", provider="openai") == 2.0
    transitions = "chat_breaker_transitions_total"
    assert _value(metrics, transitions, provider="openai", state="open") == 1
