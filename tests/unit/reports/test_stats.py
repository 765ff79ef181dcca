"""Wilson interval, order-statistic quantile interval, requests needed."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.stats import (
    quantile,
    quantile_interval,
    requests_needed_proportion,
    requests_needed_quantile,
    wilson,
)


def test_wilson_matches_the_published_example() -> None:
    """Wilson for 81/263 gives [0.2553, 0.3662] (Newcombe 1998's worked example, z=1.96)."""
    low, high = wilson(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-4)
    assert high == pytest.approx(0.3662, abs=5e-4)


def test_wilson_at_full_availability_stays_below_one() -> None:
    """With no failure the lower bound is n / (n + z^2), not 1."""
    low, high = wilson(1000, 1000)
    assert high == 1.0
    assert low == pytest.approx(1000 / (1000 + 1.959963984540054**2))


def test_wilson_without_requests_is_uninformative() -> None:
    """No requests: the interval is all of [0, 1]."""
    assert wilson(0, 0) == (0.0, 1.0)


def test_wilson_covers_the_truth_about_95_percent_of_the_time() -> None:
    """Over 2000 seeded samples of a 95 % process the interval holds the truth ~95 % of runs."""
    rng = random.Random(7)
    hits = 0
    for _ in range(2000):
        good = sum(rng.random() < 0.95 for _ in range(200))
        low, high = wilson(good, 200)
        hits += low <= 0.95 <= high
    assert 0.93 <= hits / 2000 <= 0.97


def test_quantile_is_nearest_rank() -> None:
    """p95 of 1..100 is 95 and p50 is 50."""
    values = [float(v) for v in range(1, 101)]
    assert quantile(values, 0.95) == 95.0
    assert quantile(values, 0.5) == 50.0
    assert quantile([], 0.5) is None


def test_quantile_interval_brackets_the_quantile() -> None:
    """The order-statistic interval of p95 over 1..1000 contains 950 and is narrow."""
    values = [float(v) for v in range(1, 1001)]
    low, high = quantile_interval(values, 0.95)
    assert low is not None
    assert high is not None
    assert low < 950 < high
    assert high - low < 40


def test_quantile_interval_unknown_bound_when_too_few() -> None:
    """With 10 values the p95's upper rank falls past the sample: no upper bound."""
    low, high = quantile_interval([float(v) for v in range(10)], 0.95)
    assert high is None
    assert low is not None


def test_requests_needed_for_a_perfect_run() -> None:
    """At 100 % observed, 99.9 % needs n with n/(n+z^2) >= 0.999: 3838 requests."""
    needed = requests_needed_proportion(1.0, 0.999)
    assert needed is not None
    assert wilson(needed, needed)[0] >= 0.999
    assert wilson(needed - 1, needed - 1)[0] < 0.999
    assert needed == math.ceil(0.999 * 1.959963984540054**2 / 0.001)


def test_requests_needed_below_target_clears_the_upper_bound() -> None:
    """At 99.8 % observed against 99.9 %, the returned n puts the upper bound below."""
    needed = requests_needed_proportion(0.998, 0.999)
    assert needed is not None
    assert wilson(round(0.998 * needed), needed)[1] < 0.999 + 1e-5


def test_requests_needed_is_none_on_the_target() -> None:
    """An observed rate equal to the target never settles."""
    assert requests_needed_proportion(0.999, 0.999) is None
    assert requests_needed_quantile(0.95, 0.95) is None


def test_requests_needed_for_a_quantile() -> None:
    """With 97 % of requests under the target, the p95 interval clears it at the returned n."""
    needed = requests_needed_quantile(0.97, 0.95)
    assert needed is not None
    values = sorted([0.1] * round(needed * 0.97) + [9.0] * (needed - round(needed * 0.97)))
    _, high = quantile_interval(values, 0.95)
    assert high is not None
    assert high <= 1.0


def test_conclusive_duration_per_phase_target() -> None:
    """At 20 req/s and a perfect service: V1 (95 %) needs 73 requests, V4 (99.99 %) 38,411."""
    from reports.stats import conclusive_duration_s

    assert conclusive_duration_s(0.95, 20.0) == pytest.approx(73 / 20)
    assert conclusive_duration_s(0.9999, 20.0) == pytest.approx(38_411 / 20)
    assert conclusive_duration_s(0.999, 20.0, expected=0.999) is None


@given(good=st.integers(0, 10_000), extra=st.integers(0, 10_000))
def test_wilson_is_a_proper_interval_around_the_rate(good: int, extra: int) -> None:
    """For any counts the interval lies in [0, 1] and contains the observed rate."""
    total = good + extra
    low, high = wilson(good, total)
    assert 0.0 <= low <= high <= 1.0
    if total:
        assert low - 1e-12 <= good / total <= high + 1e-12


@given(
    rate=st.floats(0.5, 1.0),
    target=st.sampled_from([0.95, 0.99, 0.999, 0.9999]),
)
def test_requests_needed_really_settles_the_verdict(rate: float, target: float) -> None:
    """At the returned n the Wilson interval of the same rate clears the target, and one
    request fewer it does not (when n is above the floor of 1)."""
    needed = requests_needed_proportion(rate, target)
    if needed is None:
        return
    low, high = _wilson_rate(rate, needed)
    assert low >= target or high < target
    if needed > 1:
        low, high = _wilson_rate(rate, needed - 1)
        assert low < target
        assert high >= target


def _wilson_rate(rate: float, n: int) -> tuple[float, float]:
    from reports.stats import _wilson_p

    return _wilson_p(rate, n, 1.959963984540054)
