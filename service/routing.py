"""Feature flags mapped onto the resilience layer: the provider router ``create_app`` uses.

Retries off is one attempt per provider, breaker off is a breaker that never opens,
budget off is an unbounded budget, failover off gives each model only the first provider
that serves it, hedging off is ``None``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from service.domain.ports import LLMProvider
from service.domain.types import ChatRequest, Completion, StreamEvent
from service.resilience.breaker import BreakerConfig
from service.resilience.budget import BudgetConfig
from service.resilience.retry import RetryConfig
from service.resilience.router import ProviderRouter, RouterConfig
from service.settings import ResilienceSettings
from service.telemetry.observer import PrometheusObserver

__all__ = ["build_router"]

_NEVER = 2**31 - 1


def build_router(
    flags: ResilienceSettings,
    providers: Sequence[LLMProvider],
    *,
    observer: PrometheusObserver | None = None,
) -> ProviderRouter:
    """The provider router with the resilience behaviours the flags turn on."""
    chain = list(providers) if flags.failover_enabled else _first_serving(providers)
    retry = RetryConfig(
        max_attempts=flags.retry_attempts if flags.retry_enabled else 1,
        base_delay=flags.retry_base_delay,
        max_delay=max(flags.retry_max_delay, flags.retry_base_delay),
        retry_after_cap=flags.retry_after_cap,
    )
    if flags.breaker_enabled:
        breaker = BreakerConfig(
            failure_rate_threshold=flags.breaker_failure_rate,
            min_calls=flags.breaker_min_calls,
            window_seconds=flags.breaker_window_seconds,
            open_seconds=flags.breaker_open_seconds,
            half_open_probes=flags.breaker_half_open_probes,
        )
    else:
        breaker = BreakerConfig(failure_rate_threshold=1.0, min_calls=_NEVER)
    if flags.budget_enabled:
        budget = BudgetConfig(ratio=flags.budget_ratio, min_per_second=flags.budget_min_per_second)
    else:
        budget = BudgetConfig(ratio=float(_NEVER), min_per_second=float(_NEVER))
    config = RouterConfig(
        deadline_seconds=flags.request_deadline_seconds,
        attempt_timeout_seconds=flags.attempt_timeout_seconds,
        first_token_timeout_seconds=flags.first_token_timeout_seconds,
        stream_timeout_seconds=flags.stream_timeout_seconds,
        max_attempts_per_request=flags.max_attempts_per_request,
        hedge_after_ms=flags.hedge_after_ms or None,
        retry_after_failover=flags.retry_after_failover,
        unresponsive_failover=flags.unresponsive_failover,
    )
    return ProviderRouter(
        chain, config=config, retry=retry, breaker=breaker, budget=budget, observer=observer
    )


class _FirstServing:
    """A provider restricted to the models no earlier provider of the chain serves
    (failover off: each model has exactly one provider)."""

    def __init__(self, provider: LLMProvider, earlier: Sequence[LLMProvider]) -> None:
        self._provider = provider
        self._earlier = tuple(earlier)

    @property
    def name(self) -> str:
        return self._provider.name

    def serves(self, model: str) -> bool:
        return self._provider.serves(model) and not any(p.serves(model) for p in self._earlier)

    async def complete(self, request: ChatRequest, *, timeout: float) -> Completion:
        return await self._provider.complete(request, timeout=timeout)

    def stream(
        self, request: ChatRequest, *, first_token_timeout: float, total_timeout: float
    ) -> AsyncIterator[StreamEvent]:
        return self._provider.stream(
            request, first_token_timeout=first_token_timeout, total_timeout=total_timeout
        )

    async def ping(self) -> bool:
        return await self._provider.ping()

    async def aclose(self) -> None:
        await self._provider.aclose()


def _first_serving(providers: Sequence[LLMProvider]) -> list[LLMProvider]:
    return [_FirstServing(p, providers[:i]) for i, p in enumerate(providers)]
