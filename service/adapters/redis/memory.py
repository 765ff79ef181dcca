"""In-process stand-ins for the Redis adapters, for unit tests and the dev mode.

Same contracts and the same tests as the Redis-backed classes, but nothing is shared
between processes or replicas, nothing survives a restart, and entries are dropped only
when read after expiry (memory grows with distinct keys: not for production). They never
raise ``DependencyUnavailable``. Time comes from ``clock`` (``time.monotonic`` by default),
so tests can move it instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from service.adapters.redis.cache import response_cache_key
from service.adapters.redis.gcra_math import gcra_decide
from service.domain.types import (
    CachedTurns,
    ChatRequest,
    Completion,
    RateLimitDecision,
    RateLimitTier,
    Turn,
)

__all__ = ["MemoryRateLimiter", "MemoryResponseCache", "MemoryTurnCache"]

Clock = Callable[[], float]
"""Monotonic seconds."""


class MemoryRateLimiter:
    """``RateLimiter`` with GCRA in a dictionary: ``tier.requests`` in a burst, then one
    every ``period / requests`` seconds; the decision fields mean what they mean for
    ``RedisGcraRateLimiter``, and the arithmetic is the same, on integer microseconds
    (see :func:`gcra_decide`), so no clock value makes a comparison round the wrong way."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[tuple[str, str, int, int], int] = {}

    async def hit(self, key: str, *, tier: RateLimitTier) -> RateLimitDecision:
        """Count one request for ``key`` against ``tier`` and say whether it may pass."""
        now = round(self._clock() * 1_000_000)
        slot = (tier.name, key, tier.requests, tier.period_seconds)
        step = gcra_decide(
            self._tat.get(slot),
            now,
            requests=tier.requests,
            period_us=tier.period_seconds * 1_000_000,
        )
        if step.allowed:
            self._tat[slot] = step.tat
        return step.decision(tier.requests)

    async def ping(self) -> bool:
        """Always ``True``."""
        return True

    async def aclose(self) -> None:
        """Nothing to release."""


class MemoryResponseCache:
    """``ResponseCache`` in a dictionary with a TTL, for deterministic requests only,
    keyed like ``RedisResponseCache``."""

    def __init__(self, *, ttl_seconds: float = 300.0, clock: Clock = time.monotonic) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, Completion]] = {}

    async def get(self, request: ChatRequest) -> Completion | None:
        """The cached answer to ``request``, or ``None`` on a miss or a non-deterministic one."""
        if not request.deterministic:
            return None
        key = response_cache_key(request)
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, completion = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        return completion

    async def put(self, request: ChatRequest, completion: Completion) -> None:
        """Store ``completion`` for ``request`` with the TTL (deterministic requests only)."""
        if request.deterministic:
            self._entries[response_cache_key(request)] = (self._clock() + self._ttl, completion)

    async def ping(self) -> bool:
        """Always ``True``."""
        return True

    async def aclose(self) -> None:
        """Nothing to release."""


class MemoryTurnCache:
    """``TurnCache`` in a dictionary: the last ``max_turns`` turns per conversation as
    of a version, or a tombstone, with a TTL; same write rules as ``RedisTurnCache``."""

    def __init__(
        self, *, max_turns: int = 20, ttl_seconds: float = 3600.0, clock: Clock = time.monotonic
    ) -> None:
        if max_turns <= 0:
            raise ValueError("max_turns must be positive")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._max_turns = max_turns
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, CachedTurns]] = {}

    @property
    def max_turns(self) -> int:
        """How many turns an entry keeps."""
        return self._max_turns

    async def get_recent(self, conversation_id: str) -> CachedTurns | None:
        """The entry or tombstone, ``None`` on a miss."""
        entry = self._entries.get(conversation_id)
        if entry is None:
            return None
        expires, cached = entry
        if self._clock() >= expires:
            del self._entries[conversation_id]
            return None
        return cached

    async def put_recent(
        self, conversation_id: str, turns: Sequence[Turn], *, version: int
    ) -> None:
        """Cache the last ``max_turns`` of ``turns`` as of ``version`` with the TTL,
        unless a tombstone or an entry of the same or a newer version is there."""
        current = await self.get_recent(conversation_id)
        if current is not None and (current.deleted or current.version >= version):
            return
        recent = CachedTurns(version=version, turns=tuple(turns[-self._max_turns :]))
        self._entries[conversation_id] = (self._clock() + self._ttl, recent)

    async def mark_deleted(self, conversation_id: str) -> None:
        """Leave a tombstone for the TTL in place of the entry."""
        self._entries[conversation_id] = (self._clock() + self._ttl, CachedTurns(deleted=True))

    async def invalidate(self, conversation_id: str) -> None:
        """Forget the conversation's entry or tombstone (no error when there were none)."""
        self._entries.pop(conversation_id, None)

    async def ping(self) -> bool:
        """Always ``True``."""
        return True

    async def aclose(self) -> None:
        """Nothing to release."""
