"""Retry budget: retries limited to a share of recent requests (Finagle, Envoy).

Over a rolling window of ``window_seconds``, the budget allows
``ratio * requests + min_per_second * window_seconds`` retries. Each first attempt is a
deposit (``record_request``), each retry a withdrawal (``try_withdraw``). When an
upstream fails for everyone, retries stay a bounded fraction of traffic instead of
multiplying it by the attempt count.
"""

from __future__ import annotations

import msgspec

from service.domain.ports import Clock
from service.resilience.window import RollingCounts

__all__ = ["BudgetConfig", "RetryBudget"]


class BudgetConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Retry budget knobs.

    - ``ratio``: retries allowed per request in the window (0.2, Finagle's default).
    - ``min_per_second``: retries always allowed per second, so low traffic can still
      retry (1.0; the reserve is ``min_per_second * window_seconds``).
    - ``window_seconds``: rolling window length, seconds (10.0).
    - ``buckets``: window resolution (10 buckets).
    """

    ratio: float = 0.2
    min_per_second: float = 1.0
    window_seconds: float = 10.0
    buckets: int = 10

    def __post_init__(self) -> None:
        if self.ratio < 0 or self.min_per_second < 0:
            raise ValueError("ratio and min_per_second must be >= 0")
        if self.window_seconds <= 0 or self.buckets < 1:
            raise ValueError("window_seconds must be > 0 and buckets >= 1")


class RetryBudget:
    """One retry budget (the router keeps one per provider)."""

    def __init__(self, config: BudgetConfig, *, clock: Clock) -> None:
        self.config = config
        self._window = RollingCounts(
            clock, window_seconds=config.window_seconds, buckets=config.buckets, fields=2
        )

    def record_request(self) -> None:
        """Count one request (a first attempt): it earns ``ratio`` retries."""
        self._window.add(0)

    def available(self) -> float:
        """Retries still allowed in the current window."""
        requests, retries = self._window.totals()
        c = self.config
        return c.ratio * requests + c.min_per_second * c.window_seconds - retries

    def try_withdraw(self) -> bool:
        """Take one retry from the budget; ``False`` (and nothing taken) when exhausted."""
        if self.available() < 1.0:
            return False
        self._window.add(1)
        return True
