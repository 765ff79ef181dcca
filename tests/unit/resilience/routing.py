"""Builds a router over scripted providers, on the virtual clock (test helper)."""

from __future__ import annotations

import random

from service.resilience.breaker import BreakerConfig
from service.resilience.budget import BudgetConfig
from service.resilience.clock import ManualClock
from service.resilience.retry import RetryConfig
from service.resilience.router import ProviderRouter, RouterConfig
from tests.unit.resilience.fakes import RecordingObserver, ScriptedProvider

__all__ = ["make_router"]


def make_router(
    providers: list[ScriptedProvider],
    clock: ManualClock,
    observer: RecordingObserver,
    *,
    config: RouterConfig | None = None,
    retry: RetryConfig | None = None,
    breaker: BreakerConfig | None = None,
    budget: BudgetConfig | None = None,
) -> ProviderRouter:
    return ProviderRouter(
        providers,
        config=config or RouterConfig(),
        retry=retry or RetryConfig(max_attempts=3, base_delay=0.1, max_delay=1.0),
        breaker=breaker or BreakerConfig(min_calls=5, open_seconds=30),
        budget=budget or BudgetConfig(ratio=1.0, min_per_second=10),
        clock=clock,
        observer=observer,
        rng=random.Random(0),
    )
