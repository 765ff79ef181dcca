"""Per-provider cooldowns from ``Retry-After``: a provider that answered 429/503 asking
the caller to come back later is skipped until then by every request of the process
while another provider can take the call.

Without it each request honoured the header on its own, by sleeping on the failing
provider before retrying it (``Retry-After: 1`` twice meant 2 s per request in an outage)
while healthy providers waited further down the chain. The router consults the cooldown
before each provider and fails over at once when the provider is cooling down and a later
one is available; the sleep-and-retry stays only for the last provider of the chain.
"""

from __future__ import annotations

from service.domain.ports import Clock

__all__ = ["Cooldowns"]


class Cooldowns:
    """``Retry-After`` deadlines by provider name, on an injected clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}

    def note(self, provider: str, retry_after: float) -> None:
        """``provider`` asked for ``retry_after`` seconds; a later deadline never shrinks."""
        until = self._clock.monotonic() + max(0.0, retry_after)
        self._until[provider] = max(until, self._until.get(provider, until))

    def remaining(self, provider: str) -> float:
        """Seconds until ``provider`` may be called again (0 when it may now)."""
        until = self._until.get(provider)
        if until is None:
            return 0.0
        left = until - self._clock.monotonic()
        if left <= 0:
            del self._until[provider]
            return 0.0
        return left

    def cooling(self, provider: str) -> bool:
        """Whether ``provider`` asked not to be called yet."""
        return self.remaining(provider) > 0
