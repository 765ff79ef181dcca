"""A steady-state check window is judged by the exact upper bound of its availability and
the exact lower bound of its p95, at an error level the run's checks share."""

from __future__ import annotations

import random

from chaoslab.run.steady import planned_checks, window_p95_lower_bound, window_upper_bound
from reports.stats import _tail_at_most, exact_quantile_lower, exact_upper


def test_a_few_failures_in_a_small_window_do_not_break_the_target() -> None:
    """37 of 40 good (92.5 %): below 95 % by its point, but the bound still reaches it."""
    upper = window_upper_bound(37 / 40, 40)
    assert upper is not None
    assert upper >= 0.95


def test_a_window_clearly_below_the_target_breaks_it() -> None:
    """18 of 40 good (45 %): even the upper bound misses 95 %."""
    upper = window_upper_bound(18 / 40, 40)
    assert upper is not None
    assert upper < 0.95


def test_a_window_without_requests_has_no_bound() -> None:
    """No request in the window: nothing to judge."""
    assert window_upper_bound(None, 0) is None


def test_one_failure_among_70_does_not_break_a_999_target() -> None:
    """One failure in 70 happens to a service exactly at 99.9 % in 7 % of windows: not a
    breach even for a lone check (the Wilson bound, 99.74 %, called it one)."""
    upper = window_upper_bound(69 / 70, 70, checks=1)
    assert upper is not None
    assert upper >= 0.999


def test_three_failures_among_70_break_a_999_target_even_over_50_checks() -> None:
    """A real fall (3 of 70, 4.3 %) still breaks a check when the run makes 50 of them."""
    upper = window_upper_bound(67 / 70, 70, checks=50)
    assert upper is not None
    assert upper < 0.999


def test_the_bound_is_where_the_observed_tail_has_the_error_level() -> None:
    """At the bound, seeing this many good answers or fewer has probability alpha."""
    for good, total, alpha in [(0, 10, 0.05), (37, 40, 0.05), (69, 70, 0.001), (990, 1000, 0.01)]:
        upper = exact_upper(good, total, alpha=alpha)
        assert abs(_tail_at_most(good, total, upper) - alpha) < 1e-6
    assert exact_upper(0, 10, alpha=0.05) == __import__("pytest").approx(1 - 0.05**0.1)


def test_a_service_at_its_target_breaks_no_check_in_most_runs() -> None:
    """Calibration: 400 simulated runs of 50 checks of 70 requests each, at exactly 99.9 %:
    at most about 5 % of runs see any check broken (the family error)."""
    rng = random.Random(7)
    checks = planned_checks(250.0, 5.0)
    assert checks == 50
    runs_broken = 0
    for _ in range(400):
        for _ in range(checks):
            good = sum(rng.random() < 0.999 for _ in range(70))
            upper = window_upper_bound(good / 70, 70, checks=checks)
            if upper is not None and upper < 0.999:
                runs_broken += 1
                break
    assert runs_broken <= 0.08 * 400


# -- the p95 half: an exact lower bound of the window's p95 ------------------------------


def test_one_slow_answer_among_15_does_not_break_the_p95() -> None:
    """15 answers of about 1.5 s and one of 3.7 s: the window's p95 reads 3.7 s by its point
    (the capacity search's step at 4/s on V3 was called breached for it), but the p95 itself
    can well be under 3.5 s."""
    latencies = tuple(sorted([1.5] * 14 + [3.7]))
    low = window_p95_lower_bound(latencies, checks=50)
    assert low is not None
    assert low <= 3.5


def test_a_third_of_the_answers_slow_breaks_the_p95() -> None:
    """30 of 90 answers at 7 s (requests waiting out a frozen provider): even the lower
    bound of the p95 is 7 s, over a 3.5 s target, with 50 checks sharing the error."""
    latencies = tuple(sorted([1.2] * 60 + [7.0] * 30))
    low = window_p95_lower_bound(latencies, checks=50)
    assert low == 7.0


def test_the_p95_bound_has_its_error_level() -> None:
    """The bound is the highest order statistic x_(k) with P(Binomial(n, .95) <= k-1) <= alpha:
    the next one up would exceed the error level."""
    for n, alpha in [(15, 0.001), (70, 0.001), (70, 0.05), (400, 0.01)]:
        values = [float(i) for i in range(1, n + 1)]
        low = exact_quantile_lower(values, 0.95, alpha=alpha)
        if low is None:
            assert _tail_at_most(0, n, 0.95) > alpha
            continue
        k = int(low)
        assert _tail_at_most(k - 1, n, 0.95) <= alpha
        assert k == n or _tail_at_most(k, n, 0.95) > alpha


def test_a_service_at_its_p95_target_breaks_no_check_in_most_runs() -> None:
    """Calibration: 400 simulated runs of 50 checks of 70 answers whose true p95 is exactly
    the target: at most about 5 % of runs see any check's p95 called broken."""
    rng = random.Random(11)
    target = 1.0  # latencies uniform on [0, 1/0.95]: P(latency <= 1.0) = 0.95
    runs_broken = 0
    for _ in range(400):
        for _ in range(50):
            latencies = tuple(sorted(rng.random() / 0.95 for _ in range(70)))
            low = window_p95_lower_bound(latencies, checks=50)
            if low is not None and low > target:
                runs_broken += 1
                break
    assert runs_broken <= 0.08 * 400


def test_too_few_answers_give_no_p95_bound() -> None:
    """Two answers cannot bound a p95 from below at any useful level."""
    assert window_p95_lower_bound((9.0, 9.5), checks=50) is None
    assert window_p95_lower_bound((), checks=1) is None
