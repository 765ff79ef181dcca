"""Per-key rate limiting in Redis: the ``limits`` library's moving window.

The moving window is exact (no fixed-window bursts at boundaries): a key may make
``tier.requests`` requests in any ``tier.period_seconds`` interval. ``limits`` keeps one
timestamp per admitted request in a Redis list capped at the limit, updated atomically
by a Lua script, so every replica sharing the Redis shares the same counts.
"""

from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from service.adapters.redis.circuit import redis_circuit
from service.adapters.redis.client import ping_redis, redis_errors
from service.domain.types import RateLimitDecision, RateLimitTier

__all__ = ["RedisRateLimiter"]

_MIN_RETRY_AFTER = 0.001
"""A denied decision always asks the caller to wait a little, even on a race."""


class RedisRateLimiter:
    """``RateLimiter`` over a shared ``redis.asyncio.Redis`` (it does not close it).

    Each :meth:`hit` costs two short Lua calls (acquire, then window statistics) and
    returns a decision ready for ``RateLimit-*`` and ``Retry-After`` headers:

    - ``remaining``: requests still allowed in the current window after this one;
    - ``retry_after``: when denied, seconds until the oldest request leaves the window
      (one slot frees); ``0`` when allowed;
    - ``reset_after``: seconds until the window is fully recovered; after an admitted
      request that is exactly the period, after a denied one the period is its upper bound.

    Redis failures raise ``DependencyUnavailable(dependency="redis")``.
    """

    def __init__(self, client: Redis, *, key_prefix: str = "chat:ratelimit") -> None:
        self._client = client
        self._circuit = redis_circuit(client)
        # The storage wraps our connection pool: no second pool, no second set of sockets.
        self._storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=client.connection_pool,  # type: ignore[arg-type]
        )
        self._strategy = MovingWindowRateLimiter(self._storage)

    async def hit(self, key: str, *, tier: RateLimitTier) -> RateLimitDecision:
        """Count one request for ``key`` against ``tier`` and say whether it may pass."""
        item = RateLimitItemPerSecond(tier.requests, tier.period_seconds, namespace=tier.name)
        with redis_errors("rate limit", circuit=self._circuit):
            allowed = await self._strategy.hit(item, key)
            stats = await self._strategy.get_window_stats(item, key)
        period = float(tier.period_seconds)
        remaining = max(0, stats.remaining)
        if allowed:
            return RateLimitDecision(
                allowed=True, limit=tier.requests, remaining=remaining, reset_after=period
            )
        retry_after = min(period, max(_MIN_RETRY_AFTER, stats.reset_time - time.time()))
        return RateLimitDecision(
            allowed=False,
            limit=tier.requests,
            remaining=0,
            reset_after=period,
            retry_after=retry_after,
        )

    async def ping(self) -> bool:
        """``True`` when Redis answers. Never raises."""
        return await ping_redis(self._client)

    async def aclose(self) -> None:
        """Nothing to release: the client belongs to whoever created it."""
