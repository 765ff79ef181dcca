"""Statistics for short runs: intervals and the number of requests a verdict needs.

- ``wilson``: the Wilson score interval of a proportion (availability). Unlike the normal
  ("Wald") interval it stays inside [0, 1] and behaves at 100 % and with few requests.
- ``quantile`` / ``quantile_interval``: the exact sample quantile (nearest rank) and a
  distribution-free interval for it from order statistics: the ranks ``n p -/+ z sqrt(n p
  (1 - p))`` (the normal approximation of the binomial count below the true quantile). When
  a rank falls outside the sample the bound is unknown (``None``): too few requests.
- ``exact_upper``: the exact (Clopper-Pearson) one-sided upper bound of a proportion at a
  given error level, for small samples judged many times (the steady-state checks: a few
  dozen requests every few seconds, where the Wilson bound is too eager to call a breach).
- ``requests_needed_*``: the smallest sample size at which, with the same observed rate or
  the same observed distribution, the interval would no longer straddle the target.
- ``first_look`` / ``second_look_allows`` / ``second_look_p``: ``--duration auto``'s two
  looks at availability. The first look is the Wilson verdict above; when it is inconclusive
  and a pass is still in reach, the run goes on and a second look judges all its requests
  with exact binomial sums (a two-stage design, as Simon's): a service exactly at its target
  passes at either look with probability at most ``LOOK_ERROR``.

Pure functions, no I/O. ``Z95`` is the two-sided 95 % normal quantile.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rundir.quantile import nearest_rank

__all__ = [
    "LOOK_ERROR",
    "MAX_REQUESTS",
    "Z95",
    "conclusive_duration_s",
    "exact_upper",
    "first_look",
    "quantile",
    "quantile_interval",
    "requests_needed_proportion",
    "requests_needed_quantile",
    "second_look_allows",
    "second_look_p",
    "wilson",
]

Z95 = 1.959963984540054
LOOK_ERROR = 0.025
"""The chance, across both of auto's looks, that a service exactly at its target is called
passed: one side of the 95 % interval a single look uses."""
MAX_REQUESTS = 10**9
"""Beyond this many requests a verdict is called unreachable (``None``)."""


def wilson(good: int, total: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of ``good / total``; ``(0, 1)`` when ``total`` is 0."""
    if total <= 0:
        return 0.0, 1.0
    return _wilson_p(good / total, total, z)


def _wilson_p(p: float, n: float, z: float) -> tuple[float, float]:
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0))
    return max(0.0, centre - half), min(1.0, centre + half)


def quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0 < q < 1) of ascending ``sorted_values`` (the lab's
    one rule, ``rundir.quantile``)."""
    return nearest_rank(sorted_values, q)


def _ranks(n: int, q: float, z: float) -> tuple[int, int]:
    """1-based ranks bounding the ``q`` quantile at ~95 % (may fall outside 1..n)."""
    spread = z * math.sqrt(n * q * (1 - q))
    return math.floor(n * q - spread), math.ceil(n * q + spread) + 1


def quantile_interval(
    sorted_values: Sequence[float], q: float, *, z: float = Z95
) -> tuple[float | None, float | None]:
    """Order-statistic interval of the ``q`` quantile; a bound is ``None`` when the sample
    is too small to place it."""
    n = len(sorted_values)
    if n == 0:
        return None, None
    low_rank, high_rank = _ranks(n, q, z)
    low = sorted_values[low_rank - 1] if low_rank >= 1 else None
    high = sorted_values[high_rank - 1] if high_rank <= n else None
    return low, high


def _smallest(conclusive: Callable[[int], bool], start: int) -> int | None:
    """Smallest n >= start with ``conclusive(n)`` (monotone), or None below MAX_REQUESTS."""
    n = max(start, 1)
    if conclusive(n):
        return n
    high = n
    while not conclusive(high):
        if high >= MAX_REQUESTS:
            return None
        high = min(high * 2, MAX_REQUESTS)
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        if conclusive(middle):
            high = middle
        else:
            low = middle
    return high


def requests_needed_proportion(
    rate: float, target: float, *, at_least: int = 1, z: float = Z95
) -> int | None:
    """Requests at which the Wilson interval around an observed ``rate`` would clear
    ``target`` on one side; ``None`` when the rate equals the target (never)."""
    if math.isclose(rate, target, rel_tol=0, abs_tol=1e-12):
        return None
    if rate > target:
        return _smallest(lambda n: _wilson_p(rate, n, z)[0] >= target, at_least)
    return _smallest(lambda n: _wilson_p(rate, n, z)[1] < target, at_least)


def requests_needed_quantile(
    share_within: float, q: float, *, at_least: int = 1, z: float = Z95
) -> int | None:
    """Requests at which the ``q`` quantile's interval would clear a latency target, given
    the observed share of requests at or under that target; ``None`` when it never would."""
    if math.isclose(share_within, q, rel_tol=0, abs_tol=1e-12):
        return None
    if share_within > q:  # the upper rank must land at or under the target
        return _smallest(lambda n: _ranks(n, q, z)[1] <= math.floor(n * share_within), at_least)
    return _smallest(lambda n: _ranks(n, q, z)[0] > math.floor(n * share_within), at_least)


def conclusive_duration_s(
    target: float, requests_per_s: float, *, expected: float = 1.0
) -> float | None:
    """Seconds of load at ``requests_per_s`` for an availability verdict to be conclusive
    when the service really delivers ``expected`` (for ``--duration auto``): e.g. 99.9 %
    at 100 % needs 3,838 requests. None when it never would (``expected == target``)."""
    if requests_per_s <= 0:
        return None
    needed = requests_needed_proportion(expected, target)
    return None if needed is None else needed / requests_per_s


def _tail_at_most(good: int, total: int, p: float) -> float:
    """P(X <= good) for X ~ Binomial(total, p), summed on the shorter side in log space."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if good >= total else 0.0
    if good < total - good:
        return min(1.0, sum(_binomial_pmf(j, total, p) for j in range(good + 1)))
    return max(0.0, 1.0 - sum(_binomial_pmf(j, total, p) for j in range(good + 1, total + 1)))


def exact_quantile_lower(sorted_values: Sequence[float], q: float, *, alpha: float) -> float | None:
    """A distribution-free one-sided lower bound of the ``q`` quantile at error ``alpha``: the
    highest order statistic ``x_(k)`` with P(x_(k) > true quantile) <= ``alpha``, that is
    P(Binomial(n, q) <= k - 1) <= ``alpha``. None when even the smallest value is no bound
    (too few values)."""
    n = len(sorted_values)
    if n == 0 or not 0.0 < q < 1.0:
        return None
    log_q, log_p = math.log(q), math.log1p(-q)
    best: float | None = None
    below = 0.0  # P(Binomial(n, q) <= k - 1), grown one term a step (linear, not quadratic)
    for k in range(1, n + 1):
        j = k - 1
        log_choose = math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1)
        below += math.exp(log_choose + j * log_q + (n - j) * log_p)
        if below > alpha:
            break
        best = sorted_values[k - 1]
    return best


def exact_upper(good: int, total: int, *, alpha: float) -> float:
    """The exact one-sided upper bound of ``good / total`` at error ``alpha``: the largest
    proportion ``p`` under which seeing ``good`` or fewer still has probability ``alpha``
    (Clopper-Pearson). 1.0 when nothing failed or nothing was seen."""
    if total <= 0 or good >= total:
        return 1.0
    low, high = good / total, 1.0
    for _ in range(60):  # bisection: P(X <= good) falls as p rises
        middle = (low + high) / 2
        if _tail_at_most(good, total, middle) > alpha:
            low = middle
        else:
            high = middle
    return low


def _binomial_pmf(k: int, n: int, q: float) -> float:
    """P(X = k) for X ~ Binomial(n, q)."""
    if k < 0 or k > n:
        return 0.0
    if q <= 0.0 or q >= 1.0:
        return float(k == (0 if q <= 0.0 else n))
    log_choose = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.exp(log_choose + k * math.log(q) + (n - k) * math.log1p(-q))


def _at_most(k: int, n: int, q: float) -> float:
    """P(X <= k) for X ~ Binomial(n, q) (0 below 0)."""
    return 0.0 if k < 0 else _tail_at_most(k, n, q)


def first_look(requests: int, target: float) -> tuple[int, int]:
    """The first look at ``requests`` valid requests, as failure counts: the most failures it
    passes with (Wilson lower bound at or over ``target``; -1: none) and the fewest it fails
    with (Wilson upper bound under ``target``; ``requests + 1``: none)."""
    passes, fails = -1, requests + 1
    for failures in range(requests + 1):
        low, high = wilson(requests - failures, requests)
        if low >= target:
            passes = failures
        if high < target:
            fails = failures
            break
    return passes, fails


def second_look_p(
    first: int, went_on_at_most: int, total: int, failures: int, target: float
) -> float:
    """The chance that a service exactly at ``target`` passes at the first look or ends at
    least this well at the second, when the run went on after a first look at ``first``
    requests that was inconclusive with at most ``went_on_at_most`` failures, and ``total``
    requests saw ``failures`` in all (a pass when it is within ``LOOK_ERROR``).

    Stage-wise ordering: passing at the first look ranks before any second look, and at the
    second look fewer failures rank better: P(F1 <= c1) + the sum over the first-look counts
    k that went on (c1 < k <= ``went_on_at_most``, k <= ``failures``) of P(F1 = k) P(F2 <=
    failures - k), with c1 from ``first_look``, F1 ~ Binomial(first, 1 - target) and F2 ~
    Binomial(total - first, 1 - target). A service below its target passes less often (the
    counts only grow), so this bounds its chance too."""
    q = 1.0 - target
    passes, _ = first_look(first, target)
    later = max(total - first, 0)
    chance = _at_most(passes, first, q)
    for k in range(passes + 1, min(went_on_at_most, failures, first) + 1):
        chance += _binomial_pmf(k, first, q) * _at_most(failures - k, later, q)
    return min(1.0, chance)


def second_look_allows(first: int, total: int, target: float) -> int:
    """The most failures (over all ``total`` requests) a second look passes with after an
    inconclusive first look at ``first`` requests (-1: none): the largest count whose
    ``second_look_p`` stays within ``LOOK_ERROR``. The run goes on only when the first look
    saw at most this many, so a pass is still in reach."""
    passes, _ = first_look(first, target)
    allowed = -1
    for failures in range(passes + 1, total + 1):
        if second_look_p(first, failures, total, failures, target) > LOOK_ERROR:
            break
        allowed = failures
    return allowed
