"""Latency draws and the saturation multiplier."""

from __future__ import annotations

import random

import pytest

from fakes.llm.faults import Fixed, LogNormal, Normal, Saturation, Uniform
from fakes.llm.latency import draw_ms, saturation_factor


def test_fixed_consumes_no_randomness() -> None:
    """A fixed delay returns its value and leaves the RNG untouched."""
    rng = random.Random(1)
    state = rng.getstate()
    assert draw_ms(Fixed(ms=12.5), rng) == 12.5
    assert rng.getstate() == state


def test_uniform_stays_in_bounds() -> None:
    """Uniform draws fall between low and high."""
    rng = random.Random(2)
    draws = [draw_ms(Uniform(low_ms=10, high_ms=20), rng) for _ in range(200)]
    assert all(10 <= d <= 20 for d in draws)


def test_normal_is_clipped() -> None:
    """Normal draws are never negative nor above max_ms."""
    rng = random.Random(3)
    draws = [draw_ms(Normal(mean_ms=5, stddev_ms=50, max_ms=30), rng) for _ in range(200)]
    assert all(0 <= d <= 30 for d in draws)


def test_lognormal_median() -> None:
    """Log-normal draws centre on their median."""
    rng = random.Random(4)
    draws = sorted(draw_ms(LogNormal(median_ms=100, sigma=0.5), rng) for _ in range(2001))
    assert 80 < draws[1000] < 125


def test_same_seed_same_draws() -> None:
    """Two RNGs with one seed draw the same delays."""
    delay = LogNormal(median_ms=50, sigma=1.0)
    a, b = random.Random(9), random.Random(9)
    assert [draw_ms(delay, a) for _ in range(5)] == [draw_ms(delay, b) for _ in range(5)]


@pytest.mark.parametrize(
    ("in_flight", "factor"), [(1, 1.0), (10, 1.0), (15, 1.5), (20, 2.0), (30, 3.0)]
)
def test_saturation_formula(in_flight: int, factor: float) -> None:
    """m = 1 + slope * max(0, n - C) / C, here with C = 10 and slope 1."""
    assert saturation_factor(Saturation(capacity=10), in_flight) == pytest.approx(factor)


def test_saturation_slope() -> None:
    """The slope scales the growth past capacity."""
    assert saturation_factor(Saturation(capacity=4, slope=2.0), 6) == pytest.approx(2.0)
    assert saturation_factor(None, 1000) == 1.0
