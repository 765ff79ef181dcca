"""The in-process GCRA limiter is exact at its thresholds for any clock value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from service.adapters.redis.gcra_math import RETRY_SLACK_US, gcra_decide
from service.adapters.redis.memory import MemoryRateLimiter
from service.domain.types import RateLimitTier
from tests.fixtures.limiters import (
    FakeClock,
    check_boundaries,
    check_burst_is_exact,
    check_first_hit_is_admitted,
    check_refusal_then_resume,
    clock_values,
    tiers,
)

EXAMPLES = settings(max_examples=300, deadline=None)


@EXAMPLES
@given(now=clock_values, tier=tiers)
async def test_first_hit_of_a_fresh_key_is_admitted(now: float, tier: RateLimitTier) -> None:
    """A fresh key's first request passes at every clock value."""
    await check_first_hit_is_admitted(MemoryRateLimiter(clock=FakeClock(now)), tier)


@EXAMPLES
@given(now=clock_values, tier=tiers)
async def test_a_burst_admits_exactly_the_limit(now: float, tier: RateLimitTier) -> None:
    """At one instant exactly `requests` pass, whatever the clock value."""
    await check_burst_is_exact(MemoryRateLimiter(clock=FakeClock(now)), tier)


@EXAMPLES
@given(now=clock_values, tier=tiers)
async def test_admission_resumes_after_retry_after(now: float, tier: RateLimitTier) -> None:
    """A refusal's wait is positive; waiting it (on a float clock) admits one request."""
    clock = FakeClock(now)
    await check_refusal_then_resume(MemoryRateLimiter(clock=clock), clock, tier)


@pytest.mark.parametrize("t0", [1_700_000_000.0, 123_456.0, 0.0])
async def test_thresholds_hold_to_the_microsecond(t0: float) -> None:
    """Refused 1 µs before a slot, admitted at it and 1 µs after (time.time and monotonic sizes)."""
    clock = FakeClock(t0)
    await check_boundaries(MemoryRateLimiter(clock=clock), clock)


def test_the_burst_is_exact_when_the_period_does_not_divide() -> None:
    """With an emission rounded down (60 s / 7) exactly 7 pass at one instant, not 8."""
    tat, admitted = None, 0
    for _ in range(9):
        step = gcra_decide(tat, 10**15, requests=7, period_us=60_000_000)
        if step.allowed:
            tat, admitted = step.tat, admitted + 1
    assert admitted == 7


def test_a_refusal_waits_the_shortfall_plus_the_slack() -> None:
    """A refusal 1 µs ahead of the bound asks for exactly 1 µs plus the slack."""
    full = gcra_decide(None, 0, requests=1, period_us=1_000_000)
    refused = gcra_decide(full.tat, 999_999, requests=1, period_us=1_000_000)
    assert not refused.allowed
    assert refused.retry_us == 1 + RETRY_SLACK_US
    assert gcra_decide(full.tat, 1_000_000, requests=1, period_us=1_000_000).allowed
