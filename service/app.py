"""``create_app(settings) -> Litestar``: the one place where the service is wired.

Settings go in; nothing is read from the environment here (``create_app_from_env`` is
the granian factory for multi-worker runs). The lifespan creates every client (Redis,
the conversation store, the providers behind the resilient router) and closes them on
the way out; app-scoped objects that must exist before startup (metrics, the drain flag)
are created here and kept on ``app.state``.

Feature flags map onto the resilience layer in :mod:`service.routing` (``build_router``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
from service.domain.types import User
from service.resilience.router import ProviderRouter
from service.routing import build_router
from service.settings import Settings
from service.telemetry.http import TelemetryMiddleware, metrics_handler
from service.telemetry.logging import configure_logging, flush_periodically
from service.telemetry.metrics import ServiceMetrics
from service.telemetry.observer import PrometheusObserver
from service.telemetry.store import InstrumentedStore

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "Core",
    "Overrides",
    "build_router",
    "create_app",
    "create_app_from_env",
    "start_service",
]

_PROBE_INTERVAL = 5.0


@dataclass(frozen=True, kw_only=True)
class Overrides:
    """Components a test may hand in instead of building them from settings."""

    providers: Sequence[LLMProvider] | None = None
    store: ConversationStore | None = None


@dataclass(frozen=True, kw_only=True)
class Core:
    """What exists before start-up (metrics, the drain flag, the admission the middleware
    holds) and what the start-up sequence builds the rest from."""

    settings: Settings
    given: Overrides
    metrics: ServiceMetrics
    observer: PrometheusObserver
    lifecycle: Lifecycle
    admission: Admission


def create_app(settings: Settings, *, overrides: Overrides | None = None) -> Litestar:
    """The chat service as a Litestar app; see the module docstring."""
    configure_logging(settings.log.level)
    metrics = ServiceMetrics()
    observer = PrometheusObserver(metrics)
    lifecycle = Lifecycle()
    lifecycle.on_drain(lambda: metrics.draining.set(1))
    core = Core(
        settings=settings,
        given=overrides or Overrides(),
        metrics=metrics,
        observer=observer,
        lifecycle=lifecycle,
        admission=Admission(None, policy=settings.rate_limit.policy, observer=observer),
    )
    admission = core.admission
    authenticator = Authenticator(
        {
            k.key_sha256: User(id=k.user_id, tier=settings.auth.tier(k.tier))
            for k in settings.auth.keys
        }
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await start_service(app, stack, core)
            yield

    return Litestar(
        route_handlers=[*CONTROLLERS, metrics_handler(metrics)],
        dependencies=DEPENDENCIES,
        middleware=[
            DefineMiddleware(
                TelemetryMiddleware,
                metrics=metrics,
                access_log=settings.log.access_log,
                instance=settings.server.instance_name,
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


async def start_service(app: Litestar, stack: AsyncExitStack, core: Core) -> None:
    """The start-up sequence, run by the lifespan: Redis and the store (not connected
    yet: both recover by themselves), the providers behind the router, the chat service
    with its caches and the rate limiter, readiness probes and the background tasks.
    Each close is pushed on ``stack``, so shutdown runs them in reverse."""
    s, metrics = core.settings, core.metrics
    redis = None
    if s.redis.url:
        redis = create_redis_client(
            s.redis.url,
            socket_timeout=s.redis.socket_timeout,
            connect_timeout=s.redis.connect_timeout,
            max_connections=s.redis.max_connections,
        )
        stack.push_async_callback(redis.aclose)
    raw_store = core.given.store or build_store(
        s.store.url,
        connect_timeout=s.store.connect_timeout,
        command_timeout=s.store.command_timeout,
        max_connections=s.store.max_connections,
    )
    stack.push_async_callback(raw_store.aclose)
    store = InstrumentedStore(raw_store, metrics)
    given = core.given.providers
    providers = list(given) if given is not None else [build_provider(p) for p in s.providers]
    router = build_router(s.resilience, providers, observer=core.observer)
    stack.push_async_callback(router.aclose)
    for provider in providers:
        metrics.set_breaker_state(provider.name, "closed")
    chat = _chat_service(s, router, store, redis, core)
    app.state.chat = chat
    stack.push_async_callback(chat.aclose)  # before Redis closes (the stack is LIFO)
    readiness = ReadinessChecker(
        _probes(s, store, redis, providers),
        core.lifecycle,
        observer=core.observer,
        background_optional=s.server.readiness_background_probes,
    )
    app.state.readiness = readiness
    task = asyncio.create_task(_probe_forever(readiness))
    stack.push_async_callback(_cancel, task)
    flusher = asyncio.create_task(flush_periodically())
    stack.push_async_callback(_cancel, flusher)
    flags = s.resilience
    if flags.unresponsive_failover and len(router.providers) > 1:
        watch = router.watch(flags.provider_probe_interval, flags.provider_probe_timeout)
        stack.push_async_callback(_cancel, asyncio.create_task(watch))
    # Everything alive now (SDK types, settings, clients) lives as long as the
    # process: keep it out of the cyclic GC's scans (large with two vendor SDKs).
    gc.freeze()


def _chat_service(
    s: Settings, router: ProviderRouter, store: ConversationStore, redis: Redis | None, core: Core
) -> ChatService:
    """The chat service; with Redis, its caches and the rate limiter behind admission."""
    response_cache = turn_cache = None
    if redis is not None and s.rate_limit.enabled:
        core.admission.limiter = create_rate_limiter(redis, algorithm=s.rate_limit.algorithm)
    if redis is not None and s.cache.enabled:
        response_cache = RedisResponseCache(redis, ttl_seconds=s.cache.ttl_seconds)
    if redis is not None and s.cache.turns_enabled and s.limits.context_turns > 0:
        turn_cache = RedisTurnCache(
            redis, max_turns=s.limits.context_turns, ttl_seconds=s.cache.turns_ttl_seconds
        )
    return ChatService(
        backend=router,
        store=store,
        config=_chat_config(s),
        turn_cache=turn_cache,
        response_cache=response_cache,
        observer=core.observer,
    )


def _probes(
    s: Settings, store: ConversationStore, redis: Redis | None, providers: Sequence[LLMProvider]
) -> list[Probe]:
    """Readiness probes: a dependency is required when one of its policies is fail-closed."""
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
    return probes


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
    """Keep ``chat_dependency_up`` (and the state ``/v1/ready`` reports for background
    probes) current even when nobody asks ``/v1/ready``."""
    while True:
        with contextlib.suppress(Exception):
            await readiness.refresh()
        await asyncio.sleep(_PROBE_INTERVAL)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
