"""GCRA on integer microseconds: the one arithmetic both GCRA rate limiters share.

``MemoryRateLimiter`` runs :func:`gcra_decide`; ``RedisGcraRateLimiter``'s Lua script is
the same steps, line for line. Every quantity is an integer number of microseconds, so
no clock value, however large (``time.time()`` is about 1.7e15 µs, still exact in a Lua
double below 2**53), makes a comparison round the wrong way:

- the emission interval ``e`` is ``period / requests`` rounded *down* to a whole
  microsecond (at least 1), so ``reset_after`` and ``retry_after`` never exceed the
  period; the long-run rate is faster than stated by less than one microsecond per
  emission (under 0.0001 % for a period of a second or more);
- a request is admitted when the key's theoretical arrival time (TAT), after adding
  ``e``, is at most ``requests * e`` ahead of now: exactly ``requests`` pass in a burst,
  whatever the rounding of ``e``, and the first request of a fresh key always passes;
- a refusal's ``retry_after`` is how far the TAT is past that bound, plus one
  microsecond (:data:`RETRY_SLACK_US`): a caller whose clock is a float of
  ``time.time()``'s size (resolution about 0.24 µs) and who waits exactly
  ``retry_after`` is admitted. It is always positive, and a refusal's ``reset_after``
  carries the same microsecond, so ``retry_after <= reset_after <= period + 1 µs``.
"""

from __future__ import annotations

import msgspec

from service.domain.types import RateLimitDecision

__all__ = ["RETRY_SLACK_US", "GcraStep", "emission_us", "gcra_decide"]

RETRY_SLACK_US = 1
"""Added to every refusal's wait: absorbs a float clock's rounding on the caller's side."""

_US = 1_000_000


class GcraStep(msgspec.Struct, frozen=True, kw_only=True):
    """One decision in microseconds; ``tat`` is the key's new TAT when ``allowed``."""

    allowed: bool
    tat: int
    remaining: int
    retry_us: int
    reset_us: int

    def decision(self, limit: int) -> RateLimitDecision:
        """The decision in seconds, ready for ``RateLimit-*`` and ``Retry-After``."""
        return RateLimitDecision(
            allowed=self.allowed,
            limit=limit,
            remaining=self.remaining,
            reset_after=self.reset_us / _US,
            retry_after=self.retry_us / _US,
        )


def emission_us(*, requests: int, period_us: int) -> int:
    """The interval between two admissions at the long-run rate, rounded down (at least 1)."""
    return max(1, period_us // max(1, requests))


def gcra_decide(tat: int | None, now: int, *, requests: int, period_us: int) -> GcraStep:
    """Decide one request at ``now`` for a key whose TAT is ``tat`` (``None``: fresh key)."""
    limit = max(1, requests)
    e = emission_us(requests=limit, period_us=period_us)
    span = limit * e
    base = now if tat is None or tat < now else tat
    new_tat = base + e
    ahead = new_tat - now
    if ahead > span:
        return GcraStep(
            allowed=False,
            tat=base,
            remaining=0,
            retry_us=ahead - span + RETRY_SLACK_US,
            reset_us=base - now + RETRY_SLACK_US,
        )
    return GcraStep(
        allowed=True,
        tat=new_tat,
        remaining=(span - ahead) // e,
        retry_us=0,
        reset_us=ahead,
    )
