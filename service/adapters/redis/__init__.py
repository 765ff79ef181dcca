"""Redis adapters: rate limiters, response cache and recent-turn cache over one shared client.

Build the client with :func:`create_redis_client`, hand it to each adapter, and close it
yourself (``await client.aclose()``): the adapters never close a client they did not create.
``Memory*`` classes are in-process stand-ins with the same contracts (unit tests, dev mode).
Every adapter raises ``DependencyUnavailable(dependency="redis")`` when Redis fails.
"""

from __future__ import annotations

from service.adapters.redis.cache import RedisResponseCache, response_cache_key
from service.adapters.redis.client import create_redis_client, ping_redis
from service.adapters.redis.gcra import RedisGcraRateLimiter
from service.adapters.redis.limiters import (
    RATE_LIMIT_ALGORITHMS,
    RateLimitAlgorithm,
    create_rate_limiter,
)
from service.adapters.redis.memory import MemoryRateLimiter, MemoryResponseCache, MemoryTurnCache
from service.adapters.redis.ratelimit import RedisRateLimiter
from service.adapters.redis.turns import RedisTurnCache

__all__ = [
    "RATE_LIMIT_ALGORITHMS",
    "MemoryRateLimiter",
    "MemoryResponseCache",
    "MemoryTurnCache",
    "RateLimitAlgorithm",
    "RedisGcraRateLimiter",
    "RedisRateLimiter",
    "RedisResponseCache",
    "RedisTurnCache",
    "create_rate_limiter",
    "create_redis_client",
    "ping_redis",
    "response_cache_key",
]
