"""Circuit breaker: closed, open, half-open over a rolling failure-rate window."""

from __future__ import annotations

from service.resilience.breaker import BreakerConfig, CircuitBreaker
from service.resilience.clock import ManualClock
from service.resilience.observer import BreakerState
from tests.unit.resilience.fakes import RecordingObserver

CONFIG = BreakerConfig(
    failure_rate_threshold=0.5, min_calls=4, window_seconds=10, open_seconds=5, half_open_probes=2
)


def _fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        permit = breaker.acquire()
        assert permit is not None
        breaker.failure(permit)


def _succeed(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        permit = breaker.acquire()
        assert permit is not None
        breaker.success(permit)


def _open(clock: ManualClock, observer: RecordingObserver | None = None) -> CircuitBreaker:
    breaker = CircuitBreaker("p", CONFIG, clock=clock, observer=observer)
    _fail(breaker, 4)
    assert breaker.state is BreakerState.OPEN
    return breaker


def test_stays_closed_below_min_calls(clock: ManualClock) -> None:
    """Failures do not open the breaker before min_calls outcomes are in the window."""
    breaker = CircuitBreaker("p", CONFIG, clock=clock)
    _fail(breaker, 3)
    assert breaker.state is BreakerState.CLOSED


def test_stays_closed_below_failure_rate(clock: ManualClock) -> None:
    """A failure share under the threshold keeps it closed."""
    breaker = CircuitBreaker("p", CONFIG, clock=clock)
    _succeed(breaker, 7)
    _fail(breaker, 3)
    assert breaker.state is BreakerState.CLOSED


def test_opens_at_failure_rate_and_refuses_calls(clock: ManualClock) -> None:
    """At the threshold with enough calls it opens and refuses calls."""
    breaker = _open(clock)
    assert breaker.acquire() is None


async def test_old_failures_leave_the_window(clock: ManualClock) -> None:
    """Failures older than the window do not count towards opening."""
    breaker = CircuitBreaker("p", CONFIG, clock=clock)
    _fail(breaker, 3)
    await clock.sleep(11)
    _fail(breaker, 1)
    assert breaker.state is BreakerState.CLOSED


async def test_half_open_after_open_duration(clock: ManualClock) -> None:
    """Once open_seconds have passed, the breaker is half-open."""
    breaker = _open(clock)
    await clock.sleep(4.9)
    before = breaker.state
    await clock.sleep(0.2)
    after = breaker.state
    assert (before, after) == (BreakerState.OPEN, BreakerState.HALF_OPEN)


async def test_half_open_admits_limited_probes(clock: ManualClock) -> None:
    """Half-open lets through only half_open_probes calls."""
    breaker = _open(clock)
    await clock.sleep(5)
    assert breaker.acquire() is not None
    assert breaker.acquire() is not None
    assert breaker.acquire() is None


async def test_successful_probes_close(clock: ManualClock) -> None:
    """half_open_probes successful probes close the breaker."""
    breaker = _open(clock)
    await clock.sleep(5)
    _succeed(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


async def test_failed_probe_reopens(clock: ManualClock) -> None:
    """One failed probe sends the breaker back to open for another open period."""
    breaker = _open(clock)
    await clock.sleep(5)
    _fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    await clock.sleep(4.9)
    assert breaker.acquire() is None


async def test_released_probe_frees_its_slot(clock: ManualClock) -> None:
    """A probe that ends without a verdict (cancelled, 400) frees its slot."""
    breaker = _open(clock)
    await clock.sleep(5)
    first, second = breaker.acquire(), breaker.acquire()
    assert first is not None
    assert second is not None
    breaker.release(first)
    assert breaker.acquire() is not None


async def test_stale_permit_cannot_close_a_half_open_breaker(clock: ManualClock) -> None:
    """A slow call admitted while closed does not count as a probe."""
    breaker = CircuitBreaker("p", CONFIG, clock=clock)
    slow = breaker.acquire()
    assert slow is not None
    _fail(breaker, 4)
    await clock.sleep(5)
    breaker.success(slow)
    breaker.success(slow)
    assert breaker.state is BreakerState.HALF_OPEN


async def test_transitions_are_reported(clock: ManualClock, observer: RecordingObserver) -> None:
    """Every state change reaches the observer with old and new state."""
    breaker = _open(clock, observer)
    await clock.sleep(5)
    _succeed(breaker, 2)
    assert observer.of("breaker_transition") == [
        ("p", BreakerState.CLOSED, BreakerState.OPEN),
        ("p", BreakerState.OPEN, BreakerState.HALF_OPEN),
        ("p", BreakerState.HALF_OPEN, BreakerState.CLOSED),
    ]
