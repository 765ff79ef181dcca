"""A rolling time window of counters, bucketed, read from an injected clock."""

from __future__ import annotations

import math

from service.domain.ports import Clock

__all__ = ["RollingCounts"]


class RollingCounts:
    """``fields`` counters summed over the last ``window_seconds`` (``buckets`` slots).

    A bucket expires as a whole once it is older than the window, so the effective
    window is between ``window_seconds - width`` and ``window_seconds``.
    """

    def __init__(self, clock: Clock, *, window_seconds: float, buckets: int, fields: int) -> None:
        if window_seconds <= 0 or buckets < 1 or fields < 1:
            raise ValueError("window_seconds > 0, buckets >= 1 and fields >= 1 required")
        self._clock = clock
        self._width = window_seconds / buckets
        self._buckets = buckets
        self._fields = fields
        self._counts: dict[int, list[int]] = {}

    def _slot(self) -> int:
        slot = math.floor(self._clock.monotonic() / self._width)
        for old in [s for s in self._counts if s <= slot - self._buckets]:
            del self._counts[old]
        return slot

    def add(self, field: int, amount: int = 1) -> None:
        """Add ``amount`` to counter ``field`` in the current bucket."""
        self._counts.setdefault(self._slot(), [0] * self._fields)[field] += amount

    def totals(self) -> tuple[int, ...]:
        """Each counter summed over the window."""
        self._slot()
        return tuple(sum(c[i] for c in self._counts.values()) for i in range(self._fields))

    def clear(self) -> None:
        self._counts.clear()
