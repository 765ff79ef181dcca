"""A Redis that accepts connections and never answers (a Toxiproxy ``timeout`` toxic),
with every Redis use fail-open: requests carry on without paying the Redis timeout each."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from lab.faults.toxiproxy import ProxyHandle
from lab.servers import RedisServer
from service.adapters.redis import RedisGcraRateLimiter, create_redis_client
from service.adapters.redis.circuit import redis_circuit
from service.domain.errors import DependencyUnavailable
from service.domain.policy import FailurePolicy
from service.domain.types import RateLimitTier
from service.settings import CacheSettings, RateLimitSettings, RedisSettings, Settings
from tests.fixtures.proxy import ToxiproxyUnderTest
from tests.integration.service.conftest import FAST_RETRIES, MakeClient, metric_value

REQUESTS = 8
REDIS_TIMEOUT = 1.0
TIER = RateLimitTier(name="silent", requests=5, period_seconds=60)


async def test_silent_redis_fail_open_does_not_cost_each_request_a_timeout(
    chat_client: MakeClient,
    make_service_settings: Callable[..., Settings],
    openai_only: tuple[Any, ...],
    toxiproxy_server: ToxiproxyUnderTest,
    redis_server: RedisServer,
    alice: dict[str, str],
) -> None:
    """8 sequential chats against a silent Redis (fail-open) all answer 200 and together
    take well under 8 Redis timeouts; skipped Redis calls are counted as failures."""
    proxy: ProxyHandle = toxiproxy_server.client.create(
        upstream=redis_server.address, name="silent-redis"
    )
    settings = make_service_settings(
        providers=openai_only,
        resilience=FAST_RETRIES,
        redis=RedisSettings(
            url=f"redis://{proxy.host}:{proxy.port}/0",
            socket_timeout=REDIS_TIMEOUT,
            connect_timeout=REDIS_TIMEOUT,
        ),
        rate_limit=RateLimitSettings(policy=FailurePolicy.FAIL_OPEN),
        cache=CacheSettings(policy=FailurePolicy.FAIL_OPEN),
    )
    client = await chat_client(settings)
    warm = await client.post("/v1/chat", json={"message": "warm up"}, headers=alice)
    assert warm.status_code == 200, warm.text
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    started = time.monotonic()
    for index in range(REQUESTS):
        response = await client.post("/v1/chat", json={"message": f"hi {index}"}, headers=alice)
        assert response.status_code == 200, response.text
    elapsed = time.monotonic() - started
    assert elapsed < REQUESTS * REDIS_TIMEOUT / 2, f"{REQUESTS} requests took {elapsed:.2f}s"
    text = (await client.get("/metrics")).text
    failures = metric_value(text, "chat_dependency_failures_total", policy="fail-open")
    assert failures >= 2 * REQUESTS  # rate limit + turn cache, each request


async def test_silent_redis_costs_one_timeout_then_is_skipped(
    toxiproxy_server: ToxiproxyUnderTest, redis_server: RedisServer
) -> None:
    """A command to a silent Redis fails after one socket timeout (no retry on timeout);
    the next one, inside the cool-down, fails at once without reaching Redis."""
    proxy = toxiproxy_server.client.create(upstream=redis_server.address, name="silent-redis")
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    client = create_redis_client(
        f"redis://{proxy.host}:{proxy.port}/0",
        socket_timeout=REDIS_TIMEOUT,
        connect_timeout=REDIS_TIMEOUT,
        cooldown_seconds=30.0,
    )
    limiter = RedisGcraRateLimiter(client)
    try:
        started = time.monotonic()
        with pytest.raises(DependencyUnavailable):
            await limiter.hit("k", tier=TIER)
        first = time.monotonic() - started
        assert first < 1.8 * REDIS_TIMEOUT, f"first call took {first:.2f}s"
        started = time.monotonic()
        with pytest.raises(DependencyUnavailable):
            await limiter.hit("k", tier=TIER)
        second = time.monotonic() - started
        assert second < REDIS_TIMEOUT / 2, f"skipped call took {second:.2f}s"
        assert redis_circuit(client).skipped == 1
    finally:
        await client.aclose()
