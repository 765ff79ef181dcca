"""Retry policy: bounded attempts, exponential backoff with full jitter, ``Retry-After``.

The policy only answers "wait how long before the next attempt, if at all"; the router
owns the clock, the deadline, the retry budget and the breaker. Own code rather than
stamina or tenacity: neither takes an injected clock (stamina sleeps through asyncio and
has only a global testing switch; tenacity's stop-after-delay reads ``time.monotonic``),
and neither can consult a retry budget and a breaker between attempts, which is the part
that matters here. The arithmetic is a few lines (AWS "full jitter").
"""

from __future__ import annotations

import random

import msgspec

from service.domain.errors import ProviderError

__all__ = ["RetryConfig", "RetryPolicy"]


class RetryConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Per-provider retry knobs.

    - ``max_attempts``: attempts at one provider per request, the first one included (3).
    - ``base_delay``: backoff ceiling before the second attempt, seconds (0.1).
    - ``multiplier``: growth of the ceiling per attempt (2.0).
    - ``max_delay``: largest backoff ceiling, seconds (2.0).
    - ``retry_after_cap``: the longest ``Retry-After`` we honour, seconds (5.0); a provider
      asking for more is not retried, the router fails over instead.
    """

    max_attempts: int = 3
    base_delay: float = 0.1
    multiplier: float = 2.0
    max_delay: float = 2.0
    retry_after_cap: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.retry_after_cap < 0:
            raise ValueError("delays must be >= 0")
        if self.multiplier < 1:
            raise ValueError("multiplier must be >= 1")


class RetryPolicy:
    """Decides whether and when to retry one provider after a failed attempt."""

    def __init__(self, config: RetryConfig, *, rng: random.Random | None = None) -> None:
        self.config = config
        self._rng = rng or random.Random()

    def ceiling(self, attempt: int) -> float:
        """Backoff ceiling after ``attempt`` failed attempts (1-based): capped exponential."""
        c = self.config
        exponent = max(0, attempt - 1)
        return float(min(c.max_delay, c.base_delay * c.multiplier**exponent))

    def delay(self, attempt: int, error: ProviderError) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` when not to retry.

        ``None`` when the error is not retryable, ``attempt`` reached ``max_attempts``, or
        the error's ``retry_after`` exceeds ``retry_after_cap``. Otherwise a full-jitter
        draw in ``[0, ceiling]``, raised to ``retry_after`` when the provider sent one.
        """
        if not error.retryable or attempt >= self.config.max_attempts:
            return None
        jittered = self._rng.uniform(0.0, self.ceiling(attempt))
        if error.retry_after is None:
            return jittered
        if error.retry_after > self.config.retry_after_cap:
            return None
        return max(jittered, error.retry_after)
