"""The breaker reports how many failures its window held when it opened (closed -> open
only): the "breaker reaction" SLI, failures a provider absorbed before its breaker opened.

Boundary cases follow ``test_boundaries``: at the threshold, just below, just above.
"""

from __future__ import annotations

import pytest

from service.resilience.breaker import BreakerConfig, CircuitBreaker
from service.resilience.clock import ManualClock
from service.resilience.observer import BreakerState
from tests.unit.resilience.fakes import RecordingObserver


def _breaker(clock: ManualClock, observer: RecordingObserver, **config: float) -> CircuitBreaker:
    return CircuitBreaker("p", BreakerConfig(**config), clock=clock, observer=observer)  # type: ignore[arg-type]


def _outcomes(breaker: CircuitBreaker, *, successes: int, failures: int) -> None:
    """Successes first, then failures, until the breaker refuses a call."""
    for ok in [True] * successes + [False] * failures:
        permit = breaker.acquire()
        if permit is None:
            return
        if ok:
            breaker.success(permit)
        else:
            breaker.failure(permit)


def test_all_failing_window_reports_min_calls_failures(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """With min_calls=5 and every call failing, the breaker opens at the fifth failure
    and reports 5."""
    breaker = _breaker(clock, observer, failure_rate_threshold=0.5, min_calls=5)
    _outcomes(breaker, successes=0, failures=20)
    assert breaker.state is BreakerState.OPEN
    assert observer.of("breaker_opened") == [("p", 5)]


def test_mixed_window_reports_its_failures_not_its_calls(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Six successes then failures open at 6/12 = 0.5: the report is 6 failures (of 12
    calls in the window)."""
    breaker = _breaker(clock, observer, failure_rate_threshold=0.5, min_calls=5)
    _outcomes(breaker, successes=6, failures=20)
    assert breaker.state is BreakerState.OPEN
    assert observer.of("breaker_opened") == [("p", 6)]


async def test_failures_that_left_the_window_are_not_reported(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Failures older than the window no longer count: only the window's own are reported
    (3 here; with the 3 stale ones kept it would have opened at 4)."""
    breaker = _breaker(
        clock, observer, failure_rate_threshold=0.5, min_calls=5, window_seconds=10, buckets=10
    )
    _outcomes(breaker, successes=0, failures=3)
    await clock.advance(11)
    _outcomes(breaker, successes=2, failures=5)
    assert observer.of("breaker_opened") == [("p", 3)]


async def test_a_failing_half_open_probe_reopens_without_a_report(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """half_open -> open is a transition but not an opening from closed: nothing reported."""
    breaker = _breaker(clock, observer, min_calls=2, open_seconds=1.0, half_open_probes=1)
    _outcomes(breaker, successes=0, failures=2)
    await clock.advance(1.0)
    probe = breaker.acquire()
    assert probe is not None
    assert probe.probe
    breaker.failure(probe)
    assert breaker.state is BreakerState.OPEN
    assert observer.of("breaker_transition")[-1] == ("p", BreakerState.HALF_OPEN, BreakerState.OPEN)
    assert observer.of("breaker_opened") == [("p", 2)]


async def test_each_opening_from_closed_is_reported_once(
    clock: ManualClock, observer: RecordingObserver
) -> None:
    """Open, close again through a good probe, open again: one report per opening, each
    with that window's failures."""
    breaker = _breaker(clock, observer, min_calls=2, open_seconds=1.0, half_open_probes=1)
    _outcomes(breaker, successes=0, failures=2)
    await clock.advance(1.0)
    _outcomes(breaker, successes=1, failures=0)
    assert breaker.state is BreakerState.CLOSED
    _outcomes(breaker, successes=3, failures=5)
    assert breaker.state is BreakerState.OPEN
    assert observer.of("breaker_opened") == [("p", 2), ("p", 3)]


@pytest.mark.parametrize(
    ("successes", "failures", "reports"),
    [
        (2, 2, [("p", 2)]),  # 2/4 = 0.5: at the threshold
        (3, 2, []),  # 2/5 = 0.4: just below
        (2, 3, [("p", 3)]),  # 3/5 = 0.6: just above
    ],
    ids=["at", "below", "above"],
)
def test_the_report_comes_with_the_opening_at_the_failure_rate_threshold(
    clock: ManualClock,
    observer: RecordingObserver,
    successes: int,
    failures: int,
    reports: list[tuple[str, int]],
) -> None:
    """The opening is reported exactly when the rate reaches the threshold, with the
    failures counted at that call."""
    breaker = _breaker(clock, observer, failure_rate_threshold=0.5, min_calls=successes + failures)
    _outcomes(breaker, successes=successes, failures=failures)
    assert observer.of("breaker_opened") == reports


@pytest.mark.parametrize(
    ("min_calls", "failures", "reports"),
    [(4, 4, [("p", 4)]), (5, 4, []), (3, 4, [("p", 3)])],
    ids=["at", "below", "above"],
)
def test_the_report_comes_with_the_opening_at_min_calls(
    clock: ManualClock,
    observer: RecordingObserver,
    min_calls: int,
    failures: int,
    reports: list[tuple[str, int]],
) -> None:
    """All failing: the report is min_calls when the window reaches it, none before."""
    breaker = _breaker(clock, observer, failure_rate_threshold=0.5, min_calls=min_calls)
    _outcomes(breaker, successes=0, failures=failures)
    assert observer.of("breaker_opened") == reports
