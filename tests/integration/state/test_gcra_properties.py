"""Both GCRA limiters, the Redis Lua script on a real redis-server and the in-process
one, hold the same properties for clock values the size of ``time.time()`` and
``time.monotonic()``: the Redis one is given the test's clock through its ``clock``
seam (in service it reads Redis's ``TIME``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from hypothesis import HealthCheck, given, settings

from lab.servers import RedisServer
from service.adapters.redis import MemoryRateLimiter, RedisGcraRateLimiter, create_redis_client
from service.domain.ports import RateLimiter
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

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    # with_limiter holds no state: every example builds its own limiter and client.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

WithLimiter = Callable[
    [float, Callable[[RateLimiter, FakeClock], Awaitable[None]]], Awaitable[None]
]


@pytest.fixture(params=["redis-gcra", "memory"])
def with_limiter(request: pytest.FixtureRequest) -> WithLimiter:
    """Runs a check on a fresh limiter of one implementation reading a fake clock."""
    if request.param == "memory":

        async def memory(
            now: float, check: Callable[[RateLimiter, FakeClock], Awaitable[None]]
        ) -> None:
            clock = FakeClock(now)
            await check(MemoryRateLimiter(clock=clock), clock)

        return memory
    server: RedisServer = request.getfixturevalue("redis_server")

    async def redis(now: float, check: Callable[[RateLimiter, FakeClock], Awaitable[None]]) -> None:
        clock = FakeClock(now)
        # Generous timeouts: a fresh connection per example on a loaded 2-core machine.
        client = create_redis_client(server.url, socket_timeout=10.0, connect_timeout=10.0)
        try:
            await check(RedisGcraRateLimiter(client, clock=clock.micros), clock)
        finally:
            await client.aclose()

    return redis


@EXAMPLES
@given(now=clock_values, tier=tiers)
async def test_first_hit_of_a_fresh_key_is_admitted(
    with_limiter: WithLimiter, now: float, tier: RateLimitTier
) -> None:
    """A fresh key's first request passes at every clock value."""
    await with_limiter(now, lambda limiter, _: check_first_hit_is_admitted(limiter, tier))


@EXAMPLES
@given(now=clock_values, tier=tiers)
async def test_a_burst_admits_exactly_the_limit(
    with_limiter: WithLimiter, now: float, tier: RateLimitTier
) -> None:
    """At one instant exactly `requests` pass, whatever the clock value."""
    await with_limiter(now, lambda limiter, _: check_burst_is_exact(limiter, tier))


@EXAMPLES
@given(now=clock_values, tier=tiers)
async def test_admission_resumes_after_retry_after(
    with_limiter: WithLimiter, now: float, tier: RateLimitTier
) -> None:
    """A refusal's wait is positive; waiting it (on a float clock) admits one request."""
    await with_limiter(now, lambda limiter, clock: check_refusal_then_resume(limiter, clock, tier))


@pytest.mark.parametrize("t0", [1_700_000_000.0, 123_456.0])
async def test_thresholds_hold_to_the_microsecond(with_limiter: WithLimiter, t0: float) -> None:
    """Refused 1 µs before a slot, admitted at it and 1 µs after."""
    await with_limiter(t0, check_boundaries)


async def test_redis_time_is_used_without_a_clock(redis_server: RedisServer) -> None:
    """In service (no clock given) the script reads Redis's TIME: a fresh key passes."""
    client = create_redis_client(redis_server.url)
    try:
        limiter = RedisGcraRateLimiter(client)
        tier = RateLimitTier(name="t", requests=2, period_seconds=60)
        decisions = [await limiter.hit("time-key", tier=tier) for _ in range(3)]
    finally:
        await client.aclose()
    assert [d.allowed for d in decisions] == [True, True, False]
    assert 29.0 < decisions[2].retry_after <= 30.0 + 1e-6
