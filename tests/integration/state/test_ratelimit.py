"""The ``RateLimiter`` contract, run on every implementation: GCRA and the ``limits``
moving window on a real Redis, and the in-process GCRA."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from service.adapters.redis import (
    RATE_LIMIT_ALGORITHMS,
    MemoryRateLimiter,
    RateLimitAlgorithm,
    create_rate_limiter,
)
from service.domain.ports import RateLimiter
from service.domain.types import RateLimitTier

MakeLimiter = Callable[[], RateLimiter]

TIER = RateLimitTier(name="test", requests=3, period_seconds=2)


def _key() -> str:
    return f"key-{uuid.uuid4().hex}"


@pytest.fixture(params=[*RATE_LIMIT_ALGORITHMS, "memory"])
def make_limiter(request: pytest.FixtureRequest) -> MakeLimiter:
    """Builds limiters of one implementation (Redis ones on the test's Redis client)."""
    if request.param == "memory":
        return MemoryRateLimiter
    client: Redis = request.getfixturevalue("redis_client")
    return lambda: create_rate_limiter(client, algorithm=request.param)


async def test_allows_up_to_the_limit_counting_down(make_limiter: MakeLimiter) -> None:
    """The first `requests` hits pass and `remaining` counts down to zero."""
    limiter = make_limiter()
    key = _key()
    decisions = [await limiter.hit(key, tier=TIER) for _ in range(TIER.requests)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.limit == TIER.requests and d.retry_after == 0 for d in decisions)
    assert all(0 < d.reset_after <= TIER.period_seconds for d in decisions)


async def test_denies_over_the_limit_with_a_retry_after(make_limiter: MakeLimiter) -> None:
    """The hit after the limit is denied, with nothing remaining and a wait within the period."""
    limiter = make_limiter()
    key = _key()
    for _ in range(TIER.requests):
        await limiter.hit(key, tier=TIER)
    denied = await limiter.hit(key, tier=TIER)
    assert not denied.allowed
    assert denied.remaining == 0
    assert denied.limit == TIER.requests
    assert 0 < denied.retry_after <= TIER.period_seconds
    assert denied.retry_after <= denied.reset_after


async def test_keys_are_counted_independently(make_limiter: MakeLimiter) -> None:
    """Exhausting one key leaves another key's allowance whole."""
    limiter = make_limiter()
    spent, fresh = _key(), _key()
    for _ in range(TIER.requests + 1):
        await limiter.hit(spent, tier=TIER)
    decision = await limiter.hit(fresh, tier=TIER)
    assert decision.allowed
    assert decision.remaining == TIER.requests - 1


async def test_tiers_are_counted_independently(make_limiter: MakeLimiter) -> None:
    """The same key under another tier has its own allowance."""
    limiter = make_limiter()
    key = _key()
    for _ in range(TIER.requests + 1):
        await limiter.hit(key, tier=TIER)
    other = RateLimitTier(name="other", requests=5, period_seconds=2)
    assert (await limiter.hit(key, tier=other)).allowed


@pytest.mark.parametrize("algorithm", RATE_LIMIT_ALGORITHMS)
async def test_limiters_sharing_redis_share_counts(
    redis_client: Redis, algorithm: RateLimitAlgorithm
) -> None:
    """Two limiters on the same Redis (two replicas) enforce one limit together."""
    first = create_rate_limiter(redis_client, algorithm=algorithm)
    second = create_rate_limiter(redis_client, algorithm=algorithm)
    key = _key()
    for limiter in (first, second, first):
        assert (await limiter.hit(key, tier=TIER)).allowed
    assert not (await second.hit(key, tier=TIER)).allowed


async def test_the_window_recovers_after_retry_after(make_limiter: MakeLimiter) -> None:
    """Waiting the advertised retry_after lets a request through again."""
    limiter = make_limiter()
    tier = RateLimitTier(name="short", requests=2, period_seconds=1)
    key = _key()
    for _ in range(tier.requests):
        await limiter.hit(key, tier=tier)
    denied = await limiter.hit(key, tier=tier)
    assert not denied.allowed
    await asyncio.sleep(denied.retry_after + 0.1)
    assert (await limiter.hit(key, tier=tier)).allowed


async def test_ping_is_true_when_the_backend_answers(make_limiter: MakeLimiter) -> None:
    """A reachable backend makes the limiter report itself up."""
    assert await make_limiter().ping()


async def test_concurrent_hits_admit_exactly_the_limit(make_limiter: MakeLimiter) -> None:
    """A burst of simultaneous requests lets exactly `requests` through (atomic decisions)."""
    limiter = make_limiter()
    key = _key()
    tier = RateLimitTier(name="burst", requests=5, period_seconds=60)
    decisions = await asyncio.gather(*(limiter.hit(key, tier=tier) for _ in range(20)))
    assert sum(d.allowed for d in decisions) == tier.requests
