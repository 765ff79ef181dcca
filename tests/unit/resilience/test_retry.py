"""Retry policy: exponential backoff with full jitter, bounds and Retry-After."""

from __future__ import annotations

import random

import pytest

from service.resilience.retry import RetryConfig, RetryPolicy
from tests.unit.resilience.fakes import bad_request, server_error

CONFIG = RetryConfig(max_attempts=5, base_delay=0.1, multiplier=2.0, max_delay=1.0)


def test_ceiling_grows_exponentially_then_caps() -> None:
    """The backoff ceiling doubles per attempt and stops at max_delay."""
    policy = RetryPolicy(CONFIG)
    assert [policy.ceiling(n) for n in range(1, 6)] == [0.1, 0.2, 0.4, 0.8, 1.0]


def test_delay_is_full_jitter_within_ceiling() -> None:
    """Delays are spread over [0, ceiling], not clustered at the ceiling."""
    policy = RetryPolicy(CONFIG, rng=random.Random(7))
    delays = [policy.delay(3, server_error("p")) for _ in range(500)]
    values = [d for d in delays if d is not None]
    assert len(values) == 500
    assert all(0.0 <= d <= 0.4 for d in values)
    assert min(values) < 0.05
    assert max(values) > 0.35


def test_no_retry_after_max_attempts() -> None:
    """The attempt count is bounded: no delay once max_attempts attempts were made."""
    policy = RetryPolicy(CONFIG)
    assert policy.delay(4, server_error("p")) is not None
    assert policy.delay(5, server_error("p")) is None


@pytest.mark.parametrize("kind", ["bad_request", "auth", "not_found", "context_length"])
def test_non_retryable_errors_are_not_retried(kind: str) -> None:
    """Client-side errors get no retry at all."""
    assert RetryPolicy(CONFIG).delay(1, bad_request("p", kind)) is None


def test_retry_after_is_respected() -> None:
    """A Retry-After longer than the backoff is the wait."""
    policy = RetryPolicy(CONFIG, rng=random.Random(1))
    assert policy.delay(1, server_error("p", retry_after=2.5)) == 2.5


def test_retry_after_over_cap_means_no_retry() -> None:
    """A provider asking for a wait longer than the cap is not retried (fail over)."""
    policy = RetryPolicy(RetryConfig(retry_after_cap=5.0))
    assert policy.delay(1, server_error("p", retry_after=30.0)) is None


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"multiplier": 0.5}])
def test_invalid_config_is_refused(kwargs: dict[str, float]) -> None:
    """Nonsense knobs fail at construction."""
    with pytest.raises(ValueError, match="must be"):
        RetryConfig(**kwargs)  # type: ignore[arg-type]
