"""Retry budget: retries limited to a share of recent requests plus a small reserve."""

from __future__ import annotations

import pytest

from service.resilience.budget import BudgetConfig, RetryBudget
from service.resilience.clock import ManualClock


def _drain(budget: RetryBudget) -> int:
    taken = 0
    while budget.try_withdraw():
        taken += 1
    return taken


def test_reserve_allows_min_per_second_times_window(clock: ManualClock) -> None:
    """With no traffic, the reserve alone allows min_per_second * window retries."""
    budget = RetryBudget(
        BudgetConfig(ratio=0.2, min_per_second=0.5, window_seconds=10), clock=clock
    )
    assert _drain(budget) == 5


def test_requests_earn_retries_at_the_ratio(clock: ManualClock) -> None:
    """Each request earns `ratio` retries on top of the reserve."""
    budget = RetryBudget(BudgetConfig(ratio=0.2, min_per_second=0, window_seconds=10), clock=clock)
    for _ in range(100):
        budget.record_request()
    assert _drain(budget) == 20


def test_refused_withdrawal_takes_nothing(clock: ManualClock) -> None:
    """An exhausted budget refuses without going further into debt."""
    budget = RetryBudget(BudgetConfig(ratio=0.5, min_per_second=0), clock=clock)
    budget.record_request()
    budget.record_request()
    assert budget.try_withdraw()
    assert not budget.try_withdraw()
    budget.record_request()
    budget.record_request()
    assert budget.try_withdraw()


async def test_spent_retries_expire_with_the_window(clock: ManualClock) -> None:
    """Retries taken long ago stop counting once they leave the window."""
    budget = RetryBudget(BudgetConfig(ratio=0, min_per_second=0.2, window_seconds=10), clock=clock)
    assert _drain(budget) == 2
    await clock.sleep(11)
    assert _drain(budget) == 2


def test_invalid_budget_is_refused() -> None:
    """A negative ratio fails at construction."""
    with pytest.raises(ValueError, match="must be"):
        BudgetConfig(ratio=-1)
