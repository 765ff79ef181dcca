"""Service settings: frozen msgspec Structs per concern, each built from ``CHAT_*`` variables.

``Settings.from_env()`` reads and validates everything once at start; a bad value raises
``SettingsError`` whose message is one line naming the variable (``python -m service``
prints it and exits 2). Tests build the Structs directly and pass them to ``create_app``.

Each concern's Struct parses its own variables (``Struct.from_env(reader)``) through the
typed :class:`~service.settings_env.EnvReader`; the auth concern (API keys, hashed on
load, and rate-limit tiers) is :mod:`service.settings_auth`. The service knows feature
flags (retries, breaker, failover, hedging, cache, policies), never the lab's phases.
Every variable, its unit and its default is listed in ``ENV_VARS``. About 320 lines on
purpose: nine small Structs, each beside the parsing of its own variables.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Literal

import msgspec

from service.adapters.providers.config import ProviderConfig
from service.domain.policy import FailurePolicy
from service.settings_auth import ApiKey, AuthSettings, hash_key
from service.settings_env import (
    ENV_VARS,
    REDIS_SCHEMES,
    STORE_SCHEMES,
    EnvReader,
    SettingsError,
    parse_algorithm,
    parse_host,
    parse_log_level,
)

__all__ = [
    "ENV_VARS",
    "REDIS_SCHEMES",
    "STORE_SCHEMES",
    "ApiKey",
    "AuthSettings",
    "CacheSettings",
    "ChatLimits",
    "FailurePolicy",
    "LogSettings",
    "ProviderConfig",
    "RateLimitSettings",
    "RedisSettings",
    "ResilienceSettings",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "StoreSettings",
    "hash_key",
]

_FAIL_OPEN, _FAIL_CLOSED = FailurePolicy.FAIL_OPEN, FailurePolicy.FAIL_CLOSED


class ServerSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    """Granian workers; 1 per replica process is the lab's model (see ``service.__main__``).
    More than one needs ``PROMETHEUS_MULTIPROC_DIR``, which ``prometheus_client`` (and
    ``service.telemetry.metrics``) read from the environment themselves."""
    drain_seconds: float = 20.0
    """Deadline for in-flight requests and streams after SIGTERM."""
    shutdown_grace_seconds: float = 0.0
    """After SIGTERM, readiness answers 503 this long before new connections stop."""
    max_body_bytes: int = 262_144
    """Request bodies above this size get 413."""
    readiness_background_probes: bool = True
    """Probe non-required dependencies (providers) in the background and let
    ``/v1/ready`` report their last known state instead of waiting for them; off, a
    frozen provider's probe makes ``/v1/ready`` wait for its whole timeout."""
    instance: str = ""
    """This replica's name, sent in every response's ``x-chat-replica`` header so a client
    (and the lab's report) knows which replica answered; empty: ``host:port``."""

    @property
    def instance_name(self) -> str:
        return self.instance or f"{self.host}:{self.port}"

    @classmethod
    def from_env(cls, env: EnvReader) -> ServerSettings:
        return cls(
            host=env.parse("CHAT_HOST", "127.0.0.1", parse_host, "an IP address or host name"),
            port=env.port("CHAT_PORT", 8000),
            workers=env.int("CHAT_WORKERS", 1, minimum=1),
            drain_seconds=env.float("CHAT_DRAIN_SECONDS", 20.0),
            shutdown_grace_seconds=env.float("CHAT_SHUTDOWN_GRACE_SECONDS", 0.0),
            max_body_bytes=env.int("CHAT_MAX_BODY_BYTES", 262_144, minimum=1_024),
            readiness_background_probes=env.bool("CHAT_READINESS_BACKGROUND_PROBES", True),
            instance=env.text("CHAT_INSTANCE", ""),
        )


class LogSettings(msgspec.Struct, frozen=True, kw_only=True):
    level: str = "info"
    access_log: bool = True
    """One JSON line per request (never message text or keys)."""

    @classmethod
    def from_env(cls, env: EnvReader) -> LogSettings:
        return cls(
            level=env.parse("CHAT_LOG_LEVEL", "info", parse_log_level, "debug|info|warning|error"),
            access_log=env.bool("CHAT_ACCESS_LOG", True),
        )


class ChatLimits(msgspec.Struct, frozen=True, kw_only=True):
    default_model: str = "gpt-4o-mini"
    max_message_chars: int = 16_000
    max_turns: int = 64
    """Most messages one OpenAI-compatible request may carry."""
    context_turns: int = 20
    """Recent turns of a conversation sent to the provider as context."""
    max_tokens: int = 4_096
    """Largest ``max_tokens`` a caller may ask for."""
    default_max_tokens: int = 512

    @classmethod
    def from_env(cls, env: EnvReader, *, default_model: str) -> ChatLimits:
        """``default_model``: the fallback of ``CHAT_DEFAULT_MODEL`` (the chain's first)."""
        return cls(
            default_model=env.text("CHAT_DEFAULT_MODEL", default_model),
            max_message_chars=env.int("CHAT_MAX_MESSAGE_CHARS", 16_000, minimum=1),
            max_turns=env.int("CHAT_MAX_TURNS", 64, minimum=1),
            context_turns=env.int("CHAT_CONTEXT_TURNS", 20),
            max_tokens=env.int("CHAT_MAX_TOKENS", 4_096, minimum=1),
            default_max_tokens=env.int("CHAT_DEFAULT_MAX_TOKENS", 512, minimum=1),
        )


class RedisSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str | None = None
    """Without a URL, rate limiting and both caches are off."""
    socket_timeout: float = 0.5
    connect_timeout: float = 0.5
    max_connections: int = 64

    @classmethod
    def from_env(cls, env: EnvReader) -> RedisSettings:
        return cls(
            url=env.url("CHAT_REDIS_URL", REDIS_SCHEMES),
            socket_timeout=env.float("CHAT_REDIS_TIMEOUT", 0.5),
            connect_timeout=env.float("CHAT_REDIS_CONNECT_TIMEOUT", 0.5),
        )


class StoreSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str = "memory://"
    policy: FailurePolicy = FailurePolicy.FAIL_CLOSED
    connect_timeout: float = 2.0
    command_timeout: float = 5.0
    max_connections: int = 10

    @classmethod
    def from_env(cls, env: EnvReader) -> StoreSettings:
        return cls(
            url=env.url("CHAT_STORE_URL", STORE_SCHEMES) or "memory://",
            policy=env.enum("CHAT_STORE_POLICY", _FAIL_CLOSED, FailurePolicy),
            connect_timeout=env.float("CHAT_STORE_CONNECT_TIMEOUT", 2.0, minimum=0.01),
            command_timeout=env.float("CHAT_STORE_COMMAND_TIMEOUT", 5.0, minimum=0.01),
            max_connections=env.int("CHAT_STORE_MAX_CONNECTIONS", 10, minimum=1),
        )


class RateLimitSettings(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool = True
    policy: FailurePolicy = FailurePolicy.FAIL_OPEN
    algorithm: Literal["gcra", "moving-window"] = "gcra"
    """GCRA: one Redis call a request; moving-window: exact window, two calls."""

    @classmethod
    def from_env(cls, env: EnvReader) -> RateLimitSettings:
        return cls(
            enabled=env.bool("CHAT_RATE_LIMIT_ENABLED", True),
            policy=env.enum("CHAT_RATE_LIMIT_POLICY", _FAIL_OPEN, FailurePolicy),
            algorithm=env.parse(
                "CHAT_RATE_LIMIT_ALGORITHM", "gcra", parse_algorithm, "gcra or moving-window"
            ),
        )


class CacheSettings(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool = True
    """Response cache for deterministic (temperature 0) requests."""
    ttl_seconds: int = 300
    turns_enabled: bool = True
    """Recent turns of conversations cached in Redis."""
    turns_ttl_seconds: int = 1_800
    policy: FailurePolicy = FailurePolicy.FAIL_OPEN

    @classmethod
    def from_env(cls, env: EnvReader) -> CacheSettings:
        return cls(
            enabled=env.bool("CHAT_CACHE_ENABLED", True),
            ttl_seconds=env.int("CHAT_CACHE_TTL_SECONDS", 300, minimum=1),
            turns_enabled=env.bool("CHAT_TURN_CACHE_ENABLED", True),
            turns_ttl_seconds=env.int("CHAT_TURN_CACHE_TTL_SECONDS", 1_800, minimum=1),
            policy=env.enum("CHAT_CACHE_POLICY", _FAIL_OPEN, FailurePolicy),
        )


class ResilienceSettings(msgspec.Struct, frozen=True, kw_only=True):
    retry_enabled: bool = True
    retry_attempts: int = 3
    retry_base_delay: float = 0.1
    retry_max_delay: float = 2.0
    retry_after_cap: float = 5.0
    retry_after_failover: bool = True
    """A Retry-After puts its provider in a cooldown shared by the replica's requests;
    requests fail over at once while another provider is available (off: each request
    sleeps on the failing provider and retries it)."""
    unresponsive_failover: bool = True
    """Probe each provider every ``provider_probe_interval`` s; one that misses a probe
    (``provider_probe_timeout``) is skipped and the attempts waiting on it fail over at once
    while another provider is available (off: each waits out its own timeout)."""
    provider_probe_interval: float = 0.25
    provider_probe_timeout: float = 0.5
    budget_enabled: bool = True
    budget_ratio: float = 0.2
    budget_min_per_second: float = 1.0
    breaker_enabled: bool = True
    breaker_failure_rate: float = 0.5
    breaker_window_seconds: float = 10.0
    breaker_min_calls: int = 10
    breaker_open_seconds: float = 5.0
    breaker_half_open_probes: int = 2
    failover_enabled: bool = True
    hedge_after_ms: int = 2_000
    """Race the next provider when no answer (first token, for streams) came after this
    long; 0 turns it off. On by default: a hung provider then costs a request this delay
    instead of its timeout (see service/resilience/README.md)."""
    request_deadline_seconds: float = 30.0
    attempt_timeout_seconds: float = 20.0
    first_token_timeout_seconds: float = 10.0
    stream_timeout_seconds: float = 300.0
    max_attempts_per_request: int = 6

    @classmethod
    def from_env(cls, env: EnvReader) -> ResilienceSettings:
        rate = env.float("CHAT_BREAKER_FAILURE_RATE", 0.5)
        if rate > 1.0:
            raise SettingsError(f"CHAT_BREAKER_FAILURE_RATE: must be <= 1, got {rate}")
        return cls(
            retry_enabled=env.bool("CHAT_RETRY_ENABLED", True),
            retry_attempts=env.int("CHAT_RETRY_ATTEMPTS", 3, minimum=1),
            retry_base_delay=env.float("CHAT_RETRY_BASE_DELAY", 0.1),
            retry_max_delay=env.float("CHAT_RETRY_MAX_DELAY", 2.0),
            retry_after_cap=env.float("CHAT_RETRY_AFTER_CAP", 5.0),
            retry_after_failover=env.bool("CHAT_RETRY_AFTER_FAILOVER", True),
            unresponsive_failover=env.bool("CHAT_UNRESPONSIVE_FAILOVER", True),
            provider_probe_interval=env.float(
                "CHAT_PROVIDER_PROBE_INTERVAL_SECONDS", 0.25, minimum=0.01
            ),
            provider_probe_timeout=env.float(
                "CHAT_PROVIDER_PROBE_TIMEOUT_SECONDS", 0.5, minimum=0.01
            ),
            budget_enabled=env.bool("CHAT_RETRY_BUDGET_ENABLED", True),
            budget_ratio=env.float("CHAT_RETRY_BUDGET_RATIO", 0.2),
            budget_min_per_second=env.float("CHAT_RETRY_BUDGET_MIN_PER_SECOND", 1.0),
            breaker_enabled=env.bool("CHAT_BREAKER_ENABLED", True),
            breaker_failure_rate=rate,
            breaker_window_seconds=env.float("CHAT_BREAKER_WINDOW_SECONDS", 10.0, minimum=0.1),
            breaker_min_calls=env.int("CHAT_BREAKER_MIN_CALLS", 10, minimum=1),
            breaker_open_seconds=env.float("CHAT_BREAKER_OPEN_SECONDS", 5.0),
            breaker_half_open_probes=env.int("CHAT_BREAKER_HALF_OPEN_PROBES", 2, minimum=1),
            failover_enabled=env.bool("CHAT_FAILOVER_ENABLED", True),
            hedge_after_ms=env.int("CHAT_HEDGE_AFTER_MS", 2_000),
            request_deadline_seconds=env.float("CHAT_REQUEST_DEADLINE_SECONDS", 30.0, minimum=0.01),
            attempt_timeout_seconds=env.float("CHAT_ATTEMPT_TIMEOUT_SECONDS", 20.0, minimum=0.01),
            first_token_timeout_seconds=env.float(
                "CHAT_FIRST_TOKEN_TIMEOUT_SECONDS", 10.0, minimum=0.01
            ),
            stream_timeout_seconds=env.float("CHAT_STREAM_TIMEOUT_SECONDS", 300.0, minimum=0.01),
            max_attempts_per_request=env.int("CHAT_MAX_ATTEMPTS_PER_REQUEST", 6, minimum=1),
        )


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    server: ServerSettings = ServerSettings()
    log: LogSettings = LogSettings()
    auth: AuthSettings = AuthSettings()
    limits: ChatLimits = ChatLimits()
    redis: RedisSettings = RedisSettings()
    store: StoreSettings = StoreSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    cache: CacheSettings = CacheSettings()
    resilience: ResilienceSettings = ResilienceSettings()
    providers: tuple[ProviderConfig, ...] = ()

    @property
    def models(self) -> frozenset[str] | None:
        """Every public model name the chain serves; ``None`` (any name) when no chain is
        configured or some provider passes any name through (an empty ``model_map``)."""
        if not self.providers or any(not p.model_map for p in self.providers):
            return None
        return frozenset(m for p in self.providers for m in p.model_map)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``CHAT_*`` variable (see ``ENV_VARS``); raise ``SettingsError``."""
        env = EnvReader(os.environ if environ is None else environ)
        auth = AuthSettings.from_env(env)
        providers = _providers(env)
        first_mapped = (m for p in providers for m in p.model_map)
        default_model = next(first_mapped, ChatLimits().default_model)
        return cls(
            server=ServerSettings.from_env(env),
            log=LogSettings.from_env(env),
            auth=auth,
            limits=ChatLimits.from_env(env, default_model=default_model),
            redis=RedisSettings.from_env(env),
            store=StoreSettings.from_env(env),
            rate_limit=RateLimitSettings.from_env(env),
            cache=CacheSettings.from_env(env),
            resilience=ResilienceSettings.from_env(env),
            providers=providers,
        )


def _providers(env: EnvReader) -> tuple[ProviderConfig, ...]:
    """``CHAT_PROVIDERS`` (or ``CHAT_PROVIDERS_FILE``): the chain, in order."""
    found = env.file_or_env("CHAT_PROVIDERS", "CHAT_PROVIDERS_FILE")
    if found is None:
        return ()
    name, text = found
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"{name}: not valid JSON ({exc})") from exc
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise SettingsError(f"{name}: expected a JSON list of provider objects")
    if not items:  # every chat would be refused; leave the variable unset instead
        raise SettingsError(f"{name}: the provider chain is empty; name at least one provider")
    providers: list[ProviderConfig] = []
    for index, item in enumerate(items):
        key_env = item.pop("api_key_env", None)
        if key_env is not None:
            key = env.raw(str(key_env))
            if key is None:
                raise SettingsError(f"{key_env}: unset, named by {name}[{index}].api_key_env")
            item["api_key"] = key
        try:
            provider = msgspec.convert(item, ProviderConfig)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"{name}[{index}]: {exc}") from exc
        if provider.name in {p.name for p in providers}:
            raise SettingsError(f"{name}: provider name {provider.name!r} is used twice")
        providers.append(provider)
    return tuple(providers)
