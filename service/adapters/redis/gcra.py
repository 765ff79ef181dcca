"""Per-key rate limiting in Redis with GCRA (the generic cell rate algorithm) in one Lua call.

GCRA keeps one number per key, the theoretical arrival time (TAT) of the next request,
and lets ``tier.requests`` pass in a burst, then one every ``period / requests`` seconds:
the same long-run rate as a window of ``requests`` per ``period``, without the burst at
window edges. One ``EVALSHA`` per request decides and returns every header value at
once, atomically, on Redis's own clock (``TIME``), so replicas with skewed clocks agree.
"""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from service.adapters.redis.circuit import redis_circuit
from service.adapters.redis.client import ping_redis, redis_errors
from service.adapters.redis.gcra_math import RETRY_SLACK_US, GcraStep
from service.adapters.redis.pipeline import auto_pipeline
from service.domain.types import RateLimitDecision, RateLimitTier

__all__ = ["GCRA_SCRIPT", "MicrosecondClock", "RedisGcraRateLimiter"]

GCRA_SCRIPT = """
-- KEYS[1]: the key's TAT. ARGV: requests, period (s), now (us; '' = Redis TIME).
-- Integer microseconds throughout, the steps of gcra_math.gcra_decide (exact in doubles
-- below 2^53 us, about 285 years of Unix time).
local limit = math.max(1, tonumber(ARGV[1]))
local period = tonumber(ARGV[2]) * 1000000
local now = tonumber(ARGV[3])
local min_ttl = 1
if now == nil then
    local clock = redis.call('TIME')
    now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
else
    min_ttl = 3600000  -- a given clock is not Redis's: expiry cannot follow it
end
local e = math.max(1, math.floor(period / limit))
local span = limit * e
local base = tonumber(redis.call('GET', KEYS[1]))
if base == nil or base < now then
    base = now
end
local new_tat = base + e
local ahead = new_tat - now
if ahead > span then
    return {0, 0, ahead - span + SLACK, base - now + SLACK}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX',
           math.max(min_ttl, math.ceil(ahead / 1000)))
return {1, math.floor((span - ahead) / e), 0, ahead}
""".replace("SLACK", str(RETRY_SLACK_US))
"""Returns ``{allowed, remaining, retry_after_us, reset_after_us}`` as integers; a denied
request changes nothing, so retrying clients do not push their own recovery back."""

MicrosecondClock = Callable[[], int]
"""Integer microseconds: a test's clock in place of Redis's ``TIME``."""


class RedisGcraRateLimiter:
    """``RateLimiter`` over a shared ``redis.asyncio.Redis`` (it does not close it).

    Each :meth:`hit` is one short Lua call returning a decision ready for ``RateLimit-*``
    and ``Retry-After`` headers:

    - ``remaining``: requests that could pass right now after this one;
    - ``retry_after``: when denied, seconds until the next request can pass; ``0`` when
      allowed;
    - ``reset_after``: seconds until the key is back to a full burst.

    ``clock`` (integer microseconds) replaces Redis's ``TIME`` for tests that need to
    set the time; in service it is ``None`` and every replica shares Redis's clock.
    Keys expire on Redis's clock when the TAT has passed; with a given clock, which
    Redis's expiry cannot follow, they live at least an hour instead.

    Redis failures raise ``DependencyUnavailable(dependency="redis")``. The call goes
    through the client's ``auto_pipeline``, batched with the other requests' commands.
    """

    def __init__(
        self,
        client: Redis,
        *,
        key_prefix: str = "chat:gcra",
        clock: MicrosecondClock | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._prefix = key_prefix
        self._script = client.register_script(GCRA_SCRIPT)
        self._pipe = auto_pipeline(client)
        self._circuit = redis_circuit(client)

    async def hit(self, key: str, *, tier: RateLimitTier) -> RateLimitDecision:
        """Count one request for ``key`` against ``tier`` and say whether it may pass."""
        redis_key = f"{self._prefix}:{tier.name}:{tier.requests}:{tier.period_seconds}:{key}"
        now = "" if self._clock is None else str(self._clock())
        command = (
            "EVALSHA",
            self._script.sha,
            1,
            redis_key,
            tier.requests,
            tier.period_seconds,
            now,
        )
        with redis_errors("rate limit", circuit=self._circuit):
            try:
                reply = await self._pipe.execute(*command)
            except NoScriptError:  # a restarted or flushed Redis: load it, then once more
                await self._client.script_load(GCRA_SCRIPT)
                reply = await self._pipe.execute(*command)
        allowed, remaining, retry_us, reset_us = (int(value) for value in reply)
        step = GcraStep(
            allowed=bool(allowed),
            tat=0,
            remaining=max(0, min(remaining, tier.requests)),
            retry_us=max(0, retry_us),
            reset_us=max(0, reset_us),
        )
        return step.decision(tier.requests)

    async def ping(self) -> bool:
        """``True`` when Redis answers. Never raises."""
        return await ping_redis(self._client)

    async def aclose(self) -> None:
        """Nothing to release: the client belongs to whoever created it."""
