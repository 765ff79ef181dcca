"""Latency draws and the saturation model (pure functions over a seeded ``random.Random``).

Saturation: with capacity ``C``, slope ``k`` and ``n`` requests in flight (this one included),
every drawn delay is multiplied by ``m = 1 + k * max(0, n - C) / C``. At ``n <= C`` nothing
changes; at ``n = 2C`` with ``k = 1`` time to first token and per-token delay double. The
multiplier scales the configured latency, so a saturation section needs a latency section
(or a model answering in zero time stays at zero).
"""

from __future__ import annotations

import math
import random

from fakes.llm.faults import Delay, Fixed, LogNormal, Normal, Saturation, Uniform

__all__ = ["draw_ms", "saturation_factor"]


def draw_ms(delay: Delay, rng: random.Random) -> float:
    """One draw of ``delay`` in milliseconds; a fixed delay consumes no randomness."""
    if isinstance(delay, int | float):
        return float(delay)
    if isinstance(delay, Fixed):
        return delay.ms
    if isinstance(delay, Uniform):
        return rng.uniform(delay.low_ms, delay.high_ms)
    if isinstance(delay, Normal):
        value = max(0.0, rng.gauss(delay.mean_ms, delay.stddev_ms))
        return value if delay.max_ms is None else min(value, delay.max_ms)
    if isinstance(delay, LogNormal):
        value = rng.lognormvariate(math.log(delay.median_ms), delay.sigma)
        return value if delay.max_ms is None else min(value, delay.max_ms)
    raise TypeError(f"unknown delay {delay!r}")  # pragma: no cover - exhaustive union


def saturation_factor(saturation: Saturation | None, in_flight: int) -> float:
    """The latency multiplier for ``in_flight`` concurrent requests (1.0 when unsaturated)."""
    if saturation is None or in_flight <= saturation.capacity:
        return 1.0
    excess = in_flight - saturation.capacity
    return 1.0 + saturation.slope * excess / saturation.capacity
