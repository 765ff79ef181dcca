"""Per-key rate limiting in Redis with GCRA (the generic cell rate algorithm) in one Lua call.

GCRA keeps one number per key, the theoretical arrival time (TAT) of the next request,
and lets ``tier.requests`` pass in a burst, then one every ``period / requests`` seconds:
the same long-run rate as a window of ``requests`` per ``period``, without the burst at
window edges. One ``EVALSHA`` per request decides and returns every header value at
once, atomically, on Redis's own clock (``TIME``), so replicas with skewed clocks agree.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from service.adapters.redis.circuit import redis_circuit
from service.adapters.redis.client import ping_redis, redis_errors
from service.adapters.redis.pipeline import auto_pipeline
from service.domain.types import RateLimitDecision, RateLimitTier

__all__ = ["GCRA_SCRIPT", "RedisGcraRateLimiter"]

GCRA_SCRIPT = """
-- KEYS[1]: the key's TAT; ARGV: requests, period (s), cost. Times in microseconds.
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2]) * 1000000
local cost = tonumber(ARGV[3])
local emission = period / limit
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
    tat = now
end
local new_tat = tat + emission * cost
local diff = now - (new_tat - period)
if diff < 0 then
    return {0, 0, tostring(-diff), tostring(tat - now)}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',
           math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, math.floor(diff / emission + 0.000001), '0', tostring(new_tat - now)}
"""
"""Returns ``{allowed, remaining, retry_after_us, reset_after_us}``; a denied request
changes nothing, so retrying clients do not push their own recovery back."""


class RedisGcraRateLimiter:
    """``RateLimiter`` over a shared ``redis.asyncio.Redis`` (it does not close it).

    Each :meth:`hit` is one short Lua call returning a decision ready for ``RateLimit-*``
    and ``Retry-After`` headers:

    - ``remaining``: requests that could pass right now after this one;
    - ``retry_after``: when denied, seconds until the next request can pass; ``0`` when
      allowed;
    - ``reset_after``: seconds until the key is back to a full burst.

    Redis failures raise ``DependencyUnavailable(dependency="redis")``. The call goes
    through the client's ``auto_pipeline``, batched with the other requests' commands.
    """

    def __init__(self, client: Redis, *, key_prefix: str = "chat:gcra") -> None:
        self._client = client
        self._prefix = key_prefix
        self._script = client.register_script(GCRA_SCRIPT)
        self._pipe = auto_pipeline(client)
        self._circuit = redis_circuit(client)

    async def hit(self, key: str, *, tier: RateLimitTier) -> RateLimitDecision:
        """Count one request for ``key`` against ``tier`` and say whether it may pass."""
        redis_key = f"{self._prefix}:{tier.name}:{tier.requests}:{tier.period_seconds}:{key}"
        command = ("EVALSHA", self._script.sha, 1, redis_key, tier.requests, tier.period_seconds, 1)
        with redis_errors("rate limit", circuit=self._circuit):
            try:
                reply = await self._pipe.execute(*command)
            except NoScriptError:  # a restarted or flushed Redis: load it, then once more
                await self._client.script_load(GCRA_SCRIPT)
                reply = await self._pipe.execute(*command)
        allowed, remaining, retry_us, reset_us = reply
        return RateLimitDecision(
            allowed=bool(allowed),
            limit=tier.requests,
            remaining=max(0, min(int(remaining), tier.requests)),
            reset_after=max(0.0, float(reset_us) / 1_000_000),
            retry_after=max(0.0, float(retry_us) / 1_000_000),
        )

    async def ping(self) -> bool:
        """``True`` when Redis answers. Never raises."""
        return await ping_redis(self._client)

    async def aclose(self) -> None:
        """Nothing to release: the client belongs to whoever created it."""
