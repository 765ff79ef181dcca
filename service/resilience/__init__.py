"""Resilience: retry policy, retry budget, circuit breakers and the provider router.

Pure logic with an injected ``Clock``; no I/O library is imported here. The app builds
one ``ProviderRouter`` per process from settings and hands it to the chat service as its
``LLMProvider``.
"""

from service.resilience.breaker import BreakerConfig, CircuitBreaker, Permit
from service.resilience.budget import BudgetConfig, RetryBudget
from service.resilience.clock import ManualClock, SystemClock
from service.resilience.observer import BreakerState, NoopObserver, ResilienceObserver
from service.resilience.retry import RetryConfig, RetryPolicy
from service.resilience.router import ProviderRouter, RouterConfig

__all__ = [
    "BreakerConfig",
    "BreakerState",
    "BudgetConfig",
    "CircuitBreaker",
    "ManualClock",
    "NoopObserver",
    "Permit",
    "ProviderRouter",
    "ResilienceObserver",
    "RetryBudget",
    "RetryConfig",
    "RetryPolicy",
    "RouterConfig",
    "SystemClock",
]
