"""``chat_breaker_failures_at_open``: each breaker opening (closed -> open) lands in the
provider's histogram with its window's failures, on the fixed buckets."""

from __future__ import annotations

from service.resilience.breaker import BreakerConfig, CircuitBreaker
from service.resilience.clock import ManualClock
from service.telemetry.metrics import ServiceMetrics
from service.telemetry.observer import PrometheusObserver

NAME = "chat_breaker_failures_at_open"
BUCKETS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100)


def _value(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_an_opening_is_observed_per_provider() -> None:
    """Each call observes its failures under its provider label: count, sum and bucket."""
    metrics = ServiceMetrics()
    observer = PrometheusObserver(metrics)
    observer.breaker_opened("openai", 7)
    observer.breaker_opened("openai", 12)
    observer.breaker_opened("anthropic", 5)
    assert _value(metrics, f"{NAME}_count", provider="openai") == 2
    assert _value(metrics, f"{NAME}_sum", provider="openai") == 19
    assert _value(metrics, f"{NAME}_bucket", provider="openai", le="6.0") == 0
    assert _value(metrics, f"{NAME}_bucket", provider="openai", le="8.0") == 1
    assert _value(metrics, f"{NAME}_bucket", provider="openai", le="12.0") == 2
    assert _value(metrics, f"{NAME}_count", provider="anthropic") == 1
    assert _value(metrics, f"{NAME}_sum", provider="anthropic") == 5


def test_the_histogram_has_the_fixed_buckets() -> None:
    """Its bucket bounds are the ones dashboards are built on, plus +Inf."""
    metrics = ServiceMetrics()
    PrometheusObserver(metrics).breaker_opened("openai", 1)
    bounds = [
        sample.labels["le"]
        for family in metrics.registry.collect()
        if family.name == NAME
        for sample in family.samples
        if sample.name == f"{NAME}_bucket"
    ]
    assert bounds == [str(float(b)) for b in BUCKETS] + ["+Inf"]


def test_a_breaker_wired_to_the_observer_exports_its_opening() -> None:
    """A real breaker opening at five failures out of five reads back as one observation
    of 5; nothing is observed while it stays closed."""
    metrics = ServiceMetrics()
    breaker = CircuitBreaker(
        "openai",
        BreakerConfig(failure_rate_threshold=0.5, min_calls=5),
        clock=ManualClock(start=1000.0),
        observer=PrometheusObserver(metrics),
    )
    for _ in range(4):
        permit = breaker.acquire()
        assert permit is not None
        breaker.failure(permit)
    assert not _value(metrics, f"{NAME}_count", provider="openai")
    permit = breaker.acquire()
    assert permit is not None
    breaker.failure(permit)
    assert _value(metrics, f"{NAME}_count", provider="openai") == 1
    assert _value(metrics, f"{NAME}_sum", provider="openai") == 5
