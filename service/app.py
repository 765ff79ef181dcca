"""``create_app(settings) -> Litestar``: the one place where the service is wired.

Settings go in; nothing is read from the environment here (``create_app_from_env`` is
the granian factory for multi-worker runs). The lifespan creates every client (Redis,
the conversation store, the providers behind the resilient router) and closes them on
the way out; app-scoped objects that must exist before startup (metrics, the drain flag)
are created here and kept on ``app.state``.

Feature flags map onto the resilience layer: retries off is one attempt per provider,
breaker off is a breaker that never opens, budget off is an unbounded budget, failover
off gives each model only the first provider that serves it, hedging off is ``None``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from service.adapters.providers import build_provider
from service.adapters.redis import (
    RedisResponseCache,
    RedisTurnCache,
    create_rate_limiter,
    create_redis_client,
    ping_redis,
)
from service.adapters.stores import build_store
from service.api import CONTROLLERS
from service.api.auth import Authenticator, AuthMiddleware
from service.api.body import BodyRequest
from service.api.deps import DEPENDENCIES
from service.api.errors import problem_handler
from service.api.openapi import OpenAPIJson, OpenAPILimits
from service.domain.admission import Admission
from service.domain.chat import ChatConfig, ChatService
from service.domain.health import Lifecycle, Probe, ReadinessChecker
from service.domain.policy import FailurePolicy
from service.domain.ports import ConversationStore, LLMProvider
from service.domain.types import ChatRequest, Completion, StreamEvent, User
from service.resilience.breaker import BreakerConfig
from service.resilience.budget import BudgetConfig
from service.resilience.retry import RetryConfig
from service.resilience.router import ProviderRouter, RouterConfig
from service.settings import ResilienceSettings, Settings
from service.telemetry.http import TelemetryMiddleware, metrics_handler
from service.telemetry.logging import configure_logging, flush_periodically
from service.telemetry.metrics import ServiceMetrics
from service.telemetry.observer import PrometheusObserver
from service.telemetry.store import InstrumentedStore

__all__ = ["Overrides", "build_router", "create_app", "create_app_from_env"]

_PROBE_INTERVAL = 5.0
_NEVER = 2**31 - 1


@dataclass(frozen=True, kw_only=True)
class Overrides:
    """Components a test may hand in instead of building them from settings."""

    providers: Sequence[LLMProvider] | None = None
    store: ConversationStore | None = None


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
    )
    return ProviderRouter(
        chain, config=config, retry=retry, breaker=breaker, budget=budget, observer=observer
    )


def create_app(settings: Settings, *, overrides: Overrides | None = None) -> Litestar:
    """The chat service as a Litestar app; see the module docstring."""
    given = overrides or Overrides()
    configure_logging(settings.log.level)
    metrics = ServiceMetrics()
    observer = PrometheusObserver(metrics)
    lifecycle = Lifecycle()
    lifecycle.on_drain(lambda: metrics.draining.set(1))
    admission = Admission(None, policy=settings.rate_limit.policy, observer=observer)
    authenticator = Authenticator(
        {
            k.key_sha256: User(id=k.user_id, tier=settings.auth.tier(k.tier))
            for k in settings.auth.keys
        }
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await _start(app, stack)
            yield

    async def _start(app: Litestar, stack: AsyncExitStack) -> None:
        s = settings
        redis = None
        if s.redis.url:
            redis = create_redis_client(
                s.redis.url,
                socket_timeout=s.redis.socket_timeout,
                connect_timeout=s.redis.connect_timeout,
                max_connections=s.redis.max_connections,
            )
            stack.push_async_callback(redis.aclose)
        raw_store = given.store or build_store(
            s.store.url,
            connect_timeout=s.store.connect_timeout,
            command_timeout=s.store.command_timeout,
            max_connections=s.store.max_connections,
        )
        stack.push_async_callback(raw_store.aclose)
        store = InstrumentedStore(raw_store, metrics)
        providers = (
            list(given.providers)
            if given.providers is not None
            else [build_provider(p) for p in s.providers]
        )
        router = build_router(s.resilience, providers, observer=observer)
        stack.push_async_callback(router.aclose)
        for provider in providers:
            metrics.set_breaker_state(provider.name, "closed")
        if redis is not None and s.rate_limit.enabled:
            admission.limiter = create_rate_limiter(redis, algorithm=s.rate_limit.algorithm)
        response_cache = None
        if redis is not None and s.cache.enabled:
            response_cache = RedisResponseCache(redis, ttl_seconds=s.cache.ttl_seconds)
        turn_cache = None
        if redis is not None and s.cache.turns_enabled and s.limits.context_turns > 0:
            turn_cache = RedisTurnCache(
                redis, max_turns=s.limits.context_turns, ttl_seconds=s.cache.turns_ttl_seconds
            )
        chat = ChatService(
            backend=router,
            store=store,
            config=_chat_config(s),
            turn_cache=turn_cache,
            response_cache=response_cache,
            observer=observer,
        )
        app.state.chat = chat
        stack.push_async_callback(chat.aclose)  # before Redis closes (the stack is LIFO)
        probes = [Probe(name="store", check=store.ping, required=_closed(s.store.policy))]
        if redis is not None:
            client = redis

            async def redis_up() -> bool:
                return await ping_redis(client)

            redis_policies = [s.rate_limit.policy, s.cache.policy]
            probes.append(
                Probe(name="redis", check=redis_up, required=any(map(_closed, redis_policies)))
            )
        probes.extend(Probe(name=p.name, check=p.ping, required=False) for p in providers)
        readiness = ReadinessChecker(probes, lifecycle, observer=observer)
        app.state.readiness = readiness
        task = asyncio.create_task(_probe_forever(readiness))
        stack.push_async_callback(_cancel, task)
        flusher = asyncio.create_task(flush_periodically())
        stack.push_async_callback(_cancel, flusher)
        # Everything alive now (SDK types, settings, clients) lives as long as the
        # process: keep it out of the cyclic GC's scans (large with two vendor SDKs).
        gc.freeze()

    return Litestar(
        route_handlers=[*CONTROLLERS, metrics_handler(metrics)],
        dependencies=DEPENDENCIES,
        middleware=[
            DefineMiddleware(
                TelemetryMiddleware, metrics=metrics, access_log=settings.log.access_log
            ),
            DefineMiddleware(AuthMiddleware, authenticator=authenticator, admission=admission),
        ],
        exception_handlers={Exception: problem_handler},
        request_class=BodyRequest,
        request_max_body_size=settings.server.max_body_bytes,
        openapi_config=_openapi(settings),
        lifespan=[lifespan],
        logging_config=None,
        state=State({"lifecycle": lifecycle, "metrics": metrics, "settings": settings}),
    )


def create_app_from_env() -> Litestar:
    """Granian factory (``--factory service.app:create_app_from_env``)."""
    return create_app(Settings.from_env())


def _chat_config(s: Settings) -> ChatConfig:
    return ChatConfig(
        models=s.models,
        default_model=s.limits.default_model,
        max_message_chars=s.limits.max_message_chars,
        max_turns=s.limits.max_turns,
        context_turns=s.limits.context_turns,
        max_tokens=s.limits.max_tokens,
        default_max_tokens=s.limits.default_max_tokens,
        store_policy=s.store.policy,
        cache_policy=s.cache.policy,
    )


def _closed(policy: FailurePolicy) -> bool:
    return policy is FailurePolicy.FAIL_CLOSED


def _openapi(s: Settings) -> OpenAPIConfig:
    limits = OpenAPILimits(
        models=None if s.models is None else sorted(s.models),
        max_message_chars=s.limits.max_message_chars,
        max_tokens=s.limits.max_tokens,
        max_turns=s.limits.max_turns,
    )
    return OpenAPIConfig(
        title="LLM chat service",
        version="1.0.0",
        description="Chat with LLM providers behind retries, breakers and failover.",
        path="/docs",
        render_plugins=[SwaggerRenderPlugin(path="/"), OpenAPIJson(limits=limits)],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", description="API key")
            }
        ),
        security=[{"bearer": []}],
    )


async def _probe_forever(readiness: ReadinessChecker) -> None:
    """Keep ``chat_dependency_up`` current even when nobody asks ``/v1/ready``."""
    while True:
        with contextlib.suppress(Exception):
            await readiness.check()
        await asyncio.sleep(_PROBE_INTERVAL)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


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
