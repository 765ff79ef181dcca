"""A steady-state check window is judged by the upper end of its Wilson interval."""

from __future__ import annotations

from chaoslab.run.steady import window_upper_bound


def test_a_few_failures_in_a_small_window_do_not_break_the_target() -> None:
    """37 of 40 good (92.5 %): below 95 % by its point, but the interval still reaches it."""
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
