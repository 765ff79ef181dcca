"""Every threshold of the breaker, the retry budget and the retry policy, pinned at the
threshold, just below and just above it: turning a ``>=`` into ``>`` (or ``<`` into
``<=``) in any of them fails one of these tests.

Shares are chosen to be exact in binary floating point (halves, quarters, tenths times
ten), so "at" really is at the threshold.
"""

from __future__ import annotations

import pytest

from service.domain.errors import ProviderError
from service.resilience.breaker import BreakerConfig, CircuitBreaker
from service.resilience.budget import BudgetConfig, RetryBudget
from service.resilience.clock import ManualClock
from service.resilience.observer import BreakerState
from service.resilience.retry import RetryConfig, RetryPolicy


def _breaker(clock: ManualClock, **config: float) -> CircuitBreaker:
    return CircuitBreaker("p", BreakerConfig(**config), clock=clock)  # type: ignore[arg-type]


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


# -- breaker: failure-rate threshold ---------------------------------------------------
# min_calls is the number of outcomes of each case, so the rate is judged once, with every
# outcome in the window: the share met at the last call is the share under test.


@pytest.mark.parametrize(
    ("successes", "failures", "state"),
    [
        (2, 2, BreakerState.OPEN),  # 2/4 = 0.5: at the threshold
        (3, 2, BreakerState.CLOSED),  # 2/5 = 0.4: just below
        (2, 3, BreakerState.OPEN),  # 3/5 = 0.6: just above
    ],
    ids=["at", "below", "above"],
)
def test_the_breaker_opens_from_the_failure_rate_threshold_on(
    clock: ManualClock, successes: int, failures: int, state: BreakerState
) -> None:
    """A failure share equal to the threshold opens the breaker; a lower one does not."""
    calls = successes + failures
    breaker = _breaker(clock, failure_rate_threshold=0.5, min_calls=calls)
    _outcomes(breaker, successes=successes, failures=failures)
    assert breaker.state is state


@pytest.mark.parametrize(
    ("successes", "failures", "state"),
    [
        (3, 1, BreakerState.OPEN),  # 1/4 = 0.25: at
        (4, 1, BreakerState.CLOSED),  # 1/5 = 0.2: just below
        (2, 1, BreakerState.OPEN),  # 1/3 = 0.33: just above
    ],
    ids=["at", "below", "above"],
)
def test_a_low_failure_rate_threshold_is_met_at_its_value(
    clock: ManualClock, successes: int, failures: int, state: BreakerState
) -> None:
    """The comparison holds for a threshold other than one half (0.25)."""
    calls = successes + failures
    breaker = _breaker(clock, failure_rate_threshold=0.25, min_calls=calls)
    _outcomes(breaker, successes=successes, failures=failures)
    assert breaker.state is state


# -- breaker: min_calls ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_calls", "successes", "failures", "state"),
    [
        (4, 0, 4, BreakerState.OPEN),  # judged first with exactly min_calls outcomes
        (5, 0, 4, BreakerState.CLOSED),  # one outcome short
        (3, 3, 3, BreakerState.OPEN),  # the rate is met only at six outcomes, past three
    ],
    ids=["at", "below", "above"],
)
def test_the_breaker_judges_the_rate_from_min_calls_outcomes_on(
    clock: ManualClock, min_calls: int, successes: int, failures: int, state: BreakerState
) -> None:
    """The rate counts once the window holds ``min_calls`` outcomes, and at any count
    beyond that."""
    breaker = _breaker(clock, failure_rate_threshold=0.5, min_calls=min_calls)
    _outcomes(breaker, successes=successes, failures=failures)
    assert breaker.state is state


def test_min_calls_counts_successes_too(clock: ManualClock) -> None:
    """Three successes and one failure make the four outcomes min_calls asks for."""
    breaker = _breaker(clock, failure_rate_threshold=0.25, min_calls=4)
    _outcomes(breaker, successes=3, failures=1)
    assert breaker.state is BreakerState.OPEN


# -- breaker: open period and half-open probes -------------------------------------------


@pytest.mark.parametrize(
    ("waited", "state"),
    [(5.0, BreakerState.HALF_OPEN), (4.75, BreakerState.OPEN), (5.25, BreakerState.HALF_OPEN)],
    ids=["at", "below", "above"],
)
async def test_an_open_breaker_turns_half_open_from_open_seconds_on(
    clock: ManualClock, waited: float, state: BreakerState
) -> None:
    """An open breaker refuses calls for exactly ``open_seconds``."""
    breaker = _breaker(clock, failure_rate_threshold=1.0, min_calls=1, open_seconds=5.0)
    _outcomes(breaker, successes=0, failures=1)
    await clock.advance(waited)
    assert breaker.state is state


@pytest.mark.parametrize(
    ("probes", "admitted"), [(2, 2), (1, 1), (3, 2)], ids=["at", "below", "above"]
)
async def test_half_open_admits_exactly_half_open_probes(
    clock: ManualClock, probes: int, admitted: int
) -> None:
    """Half-open lets ``half_open_probes`` calls through and refuses the next."""
    breaker = _breaker(clock, min_calls=1, open_seconds=1.0, half_open_probes=2)
    _outcomes(breaker, successes=0, failures=1)
    await clock.advance(1.0)
    permits = [breaker.acquire() for _ in range(probes)]
    assert sum(p is not None for p in permits) == admitted


@pytest.mark.parametrize(
    ("successes", "state"),
    [(2, BreakerState.CLOSED), (1, BreakerState.HALF_OPEN)],
    ids=["at", "below"],
)
async def test_half_open_closes_after_half_open_probes_successes(
    clock: ManualClock, successes: int, state: BreakerState
) -> None:
    """As many successful probes as ``half_open_probes`` close the breaker, fewer do not."""
    breaker = _breaker(clock, min_calls=1, open_seconds=1.0, half_open_probes=2)
    _outcomes(breaker, successes=0, failures=1)
    await clock.advance(1.0)
    permits = [breaker.acquire() for _ in range(2)]
    for permit in permits[:successes]:
        assert permit is not None
        breaker.success(permit)
    assert breaker.state is state


# -- retry budget: ratio and min_per_second ----------------------------------------------


def _withdrawals(budget: RetryBudget, limit: int = 100) -> int:
    """How many retries the budget allows now (bounded)."""
    for taken in range(limit):
        if not budget.try_withdraw():
            return taken
    return limit


RATIO = 0.0625
"""One retry per sixteen requests: 15 requests earn 0.9375 of a retry, 1/16 short."""


@pytest.mark.parametrize(
    ("requests", "retries"), [(16, 1), (15, 0), (17, 1)], ids=["at", "below", "above"]
)
def test_requests_earn_a_retry_when_ratio_times_requests_reaches_one(
    clock: ManualClock, requests: int, retries: int
) -> None:
    """The sixteenth request earns a whole retry; fifteen earn none."""
    budget = RetryBudget(BudgetConfig(ratio=RATIO, min_per_second=0.0), clock=clock)
    for _ in range(requests):
        budget.record_request()
    assert _withdrawals(budget) == retries


@pytest.mark.parametrize(
    ("requests", "retries"), [(32, 2), (31, 1), (33, 2)], ids=["at", "below", "above"]
)
def test_the_ratio_boundary_holds_for_later_retries(
    clock: ManualClock, requests: int, retries: int
) -> None:
    """Retries already taken count against what requests earned: 32 earn exactly two."""
    budget = RetryBudget(BudgetConfig(ratio=RATIO, min_per_second=0.0), clock=clock)
    for _ in range(requests):
        budget.record_request()
    assert _withdrawals(budget) == retries


@pytest.mark.parametrize(
    ("min_per_second", "retries"),
    [(0.1, 1), (0.09375, 0), (0.109375, 1)],
    ids=["at", "below", "above"],
)
def test_the_reserve_allows_a_retry_when_min_per_second_times_window_reaches_one(
    clock: ManualClock, min_per_second: float, retries: int
) -> None:
    """No traffic, a 10 s window: a reserve of exactly one retry allows one, 0.9375 none."""
    config = BudgetConfig(ratio=0.0, min_per_second=min_per_second, window_seconds=10.0)
    assert _withdrawals(RetryBudget(config, clock=clock)) == retries


# -- retry policy: max_attempts and retry_after_cap --------------------------------------


def _error(retry_after: float | None = None) -> ProviderError:
    return ProviderError("x", provider="p", kind="server", retryable=True, retry_after=retry_after)


@pytest.mark.parametrize(
    ("attempt", "retried"), [(3, False), (2, True), (4, False)], ids=["at", "below", "above"]
)
def test_no_retry_once_max_attempts_were_made(attempt: int, retried: bool) -> None:
    """After the third failed attempt of three there is no fourth; after the second there is."""
    policy = RetryPolicy(RetryConfig(max_attempts=3))
    assert (policy.delay(attempt, _error()) is not None) is retried


@pytest.mark.parametrize(
    ("retry_after", "retried"),
    [(5.0, True), (4.75, True), (5.25, False)],
    ids=["at", "below", "above"],
)
def test_a_retry_after_up_to_the_cap_is_honoured(retry_after: float, retried: bool) -> None:
    """A ``Retry-After`` equal to the cap is waited; a longer one means no retry."""
    policy = RetryPolicy(RetryConfig(retry_after_cap=5.0))
    delay = policy.delay(1, _error(retry_after))
    assert (delay is not None) is retried
    if delay is not None:
        assert delay >= retry_after
