"""The one quantile rule of the lab: nearest rank. The load generator (inter-token gaps),
the live line (p95 of the last seconds) and the reports all use it, so a p95 means the same
number wherever it is shown."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["nearest_rank"]


def nearest_rank(sorted_values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of ascending ``sorted_values``: the
    value at rank ``ceil(q * n)`` (1-based); ``None`` when there is none."""
    n = len(sorted_values)
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n))
    return sorted_values[min(rank, n) - 1]
