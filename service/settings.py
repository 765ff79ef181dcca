"""Service settings: frozen msgspec Structs per concern, built from ``CHAT_*`` variables.

``Settings.from_env()`` reads and validates everything once at start; a bad value raises
``SettingsError`` whose message is one line naming the variable (``python -m service``
prints it and exits 2). Tests build the Structs directly and pass them to ``create_app``.

API keys are hashed on load: only their SHA-256 hex digests are kept. The service knows
feature flags (retries, breaker, failover, hedging, cache, policies), never the lab's
phases. Every variable, its unit and its default is listed in ``ENV_VARS``.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import msgspec

from service.adapters.providers.config import ProviderConfig
from service.domain.policy import FailurePolicy
from service.domain.types import RateLimitTier

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

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

STORE_SCHEMES = ("postgresql", "postgres", "mongodb", "mongodb+srv", "memory")
"""``CHAT_STORE_URL`` schemes the service has a store for."""
REDIS_SCHEMES = ("redis", "rediss", "unix")
"""``CHAT_REDIS_URL`` schemes redis-py connects with."""
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class SettingsError(ValueError):
    """A variable is missing or malformed; ``str(error)`` is one line naming it."""


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key: the only form kept in memory."""
    return hashlib.sha256(key.encode()).hexdigest()


class ServerSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    """Granian workers; 1 per replica process is the lab's model (see ``service.__main__``)."""
    drain_seconds: float = 20.0
    """Deadline for in-flight requests and streams after SIGTERM."""
    shutdown_grace_seconds: float = 0.0
    """After SIGTERM, readiness answers 503 this long before new connections stop."""
    max_body_bytes: int = 262_144
    """Request bodies above this size get 413."""
    metrics_multiproc_dir: str | None = None
    """``PROMETHEUS_MULTIPROC_DIR``: required for correct metrics with several workers."""


class LogSettings(msgspec.Struct, frozen=True, kw_only=True):
    level: str = "info"
    access_log: bool = True
    """One JSON line per request (never message text or keys)."""


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    key_sha256: str
    user_id: str
    tier: str = "default"


class AuthSettings(msgspec.Struct, frozen=True, kw_only=True):
    keys: tuple[ApiKey, ...] = ()
    tiers: tuple[RateLimitTier, ...] = (
        RateLimitTier(name="default", requests=120, period_seconds=60),
    )

    def tier(self, name: str) -> RateLimitTier:
        """The tier called ``name`` (validated at load, so it exists)."""
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(name)


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


class RedisSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str | None = None
    """Without a URL, rate limiting and both caches are off."""
    socket_timeout: float = 0.5
    connect_timeout: float = 0.5
    max_connections: int = 64


class StoreSettings(msgspec.Struct, frozen=True, kw_only=True):
    url: str = "memory://"
    policy: FailurePolicy = FailurePolicy.FAIL_CLOSED
    connect_timeout: float = 2.0
    command_timeout: float = 5.0
    max_connections: int = 10


class RateLimitSettings(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool = True
    policy: FailurePolicy = FailurePolicy.FAIL_OPEN
    algorithm: Literal["gcra", "moving-window"] = "gcra"
    """GCRA: one Redis call a request; moving-window: exact window, two calls."""


class CacheSettings(msgspec.Struct, frozen=True, kw_only=True):
    enabled: bool = True
    """Response cache for deterministic (temperature 0) requests."""
    ttl_seconds: int = 300
    turns_enabled: bool = True
    """Recent turns of conversations cached in Redis."""
    turns_ttl_seconds: int = 1_800
    policy: FailurePolicy = FailurePolicy.FAIL_OPEN


class ResilienceSettings(msgspec.Struct, frozen=True, kw_only=True):
    retry_enabled: bool = True
    retry_attempts: int = 3
    retry_base_delay: float = 0.1
    retry_max_delay: float = 2.0
    retry_after_cap: float = 5.0
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
        return _Reader(os.environ if environ is None else environ).settings()


ENV_VARS: dict[str, str] = {
    "CHAT_HOST": "bind address (127.0.0.1)",
    "CHAT_PORT": "TCP port, 1..65535 (8000)",
    "CHAT_WORKERS": "granian workers (1; >1 needs PROMETHEUS_MULTIPROC_DIR)",
    "CHAT_DRAIN_SECONDS": "deadline for in-flight work after SIGTERM, s (20)",
    "CHAT_SHUTDOWN_GRACE_SECONDS": "readiness 503 before the listener closes, s (0)",
    "CHAT_MAX_BODY_BYTES": "largest request body, bytes (262144)",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus_client multiprocess directory (unset)",
    "CHAT_LOG_LEVEL": "debug|info|warning|error (info)",
    "CHAT_ACCESS_LOG": "one JSON line per request (true)",
    "CHAT_API_KEYS": "'key:user[:tier],...' or JSON [{key,user_id,tier}] (none)",
    "CHAT_API_KEYS_FILE": "file with the same formats, one 'key:user[:tier]' a line allowed",
    "CHAT_RATE_TIERS": "'name=requests/seconds,...' (default=120/60)",
    "CHAT_DEFAULT_MODEL": "model when a chat names none (first model of the chain)",
    "CHAT_MAX_MESSAGE_CHARS": "longest message, characters (16000)",
    "CHAT_MAX_TURNS": "most messages in one completions request (64)",
    "CHAT_CONTEXT_TURNS": "recent turns sent as context (20)",
    "CHAT_MAX_TOKENS": "largest max_tokens a caller may ask (4096)",
    "CHAT_DEFAULT_MAX_TOKENS": "max_tokens when the caller gives none (512)",
    "CHAT_REDIS_URL": "redis:// (rediss://, unix://) URL; unset turns rate limiting and caches off",
    "CHAT_REDIS_TIMEOUT": "Redis socket timeout, s (0.5)",
    "CHAT_REDIS_CONNECT_TIMEOUT": "Redis connect timeout, s (0.5)",
    "CHAT_STORE_URL": "memory:// | postgresql://... | mongodb://... (mongodb+srv://) (memory://)",
    "CHAT_STORE_POLICY": "fail-open|fail-closed when the store is down (fail-closed)",
    "CHAT_STORE_CONNECT_TIMEOUT": "store connect timeout, s (2)",
    "CHAT_STORE_COMMAND_TIMEOUT": "store command timeout, s (5)",
    "CHAT_STORE_MAX_CONNECTIONS": "store connection pool size (10)",
    "CHAT_RATE_LIMIT_ENABLED": "per-key rate limiting (true)",
    "CHAT_RATE_LIMIT_POLICY": "fail-open|fail-closed when Redis is down (fail-open)",
    "CHAT_RATE_LIMIT_ALGORITHM": "gcra|moving-window (gcra)",
    "CHAT_CACHE_ENABLED": "response cache for temperature-0 requests (true)",
    "CHAT_CACHE_TTL_SECONDS": "response cache TTL, s (300)",
    "CHAT_TURN_CACHE_ENABLED": "recent turns cached in Redis (true)",
    "CHAT_TURN_CACHE_TTL_SECONDS": "turn cache TTL, s (1800)",
    "CHAT_CACHE_POLICY": "fail-open|fail-closed when Redis is down for caches (fail-open)",
    "CHAT_RETRY_ENABLED": "retries at the same provider (true)",
    "CHAT_RETRY_ATTEMPTS": "attempts per provider, first included (3)",
    "CHAT_RETRY_BASE_DELAY": "first backoff ceiling, s (0.1)",
    "CHAT_RETRY_MAX_DELAY": "largest backoff ceiling, s (2.0)",
    "CHAT_RETRY_AFTER_CAP": "longest Retry-After honoured, s (5.0)",
    "CHAT_RETRY_BUDGET_ENABLED": "retries limited to a share of traffic (true)",
    "CHAT_RETRY_BUDGET_RATIO": "retries per request allowed (0.2)",
    "CHAT_RETRY_BUDGET_MIN_PER_SECOND": "retries always allowed per second (1.0)",
    "CHAT_BREAKER_ENABLED": "circuit breaker per provider (true)",
    "CHAT_BREAKER_FAILURE_RATE": "failure rate that opens it, 0..1 (0.5)",
    "CHAT_BREAKER_WINDOW_SECONDS": "rolling window, s (10)",
    "CHAT_BREAKER_MIN_CALLS": "calls in the window before it may open (10)",
    "CHAT_BREAKER_OPEN_SECONDS": "time open before half-open, s (5)",
    "CHAT_BREAKER_HALF_OPEN_PROBES": "probes allowed half-open (2)",
    "CHAT_FAILOVER_ENABLED": "move along the provider chain (true)",
    "CHAT_HEDGE_AFTER_MS": "race the next provider after this long unanswered, ms (2000; 0=off)",
    "CHAT_REQUEST_DEADLINE_SECONDS": "deadline of one client request upstream, s (30)",
    "CHAT_ATTEMPT_TIMEOUT_SECONDS": "one non-streaming upstream attempt, s (20)",
    "CHAT_FIRST_TOKEN_TIMEOUT_SECONDS": "one stream attempt's wait for a first token, s (10)",
    "CHAT_STREAM_TIMEOUT_SECONDS": "one whole stream, s (300)",
    "CHAT_MAX_ATTEMPTS_PER_REQUEST": "upstream attempts per client request, all providers (6)",
    "CHAT_PROVIDERS": (
        "provider chain (not empty), JSON [{name,kind,base_url,api_key|api_key_env,model_map}]"
    ),
    "CHAT_PROVIDERS_FILE": "file holding the same JSON",
}
"""Every variable the service reads, with its meaning and default."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class _Reader:
    """Reads typed values from an environment mapping, naming the variable on error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, name: str) -> str | None:
        value = self.env.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def parse(self, name: str, default: T, convert: Callable[[str], T], expected: str) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return convert(value)
        except (ValueError, KeyError) as exc:
            raise SettingsError(f"{name}: expected {expected}, got {value!r}") from exc

    def port(self, name: str, default: int) -> int:
        value = self.parse(name, default, int, "an integer")
        if not 1 <= value <= 65_535:
            raise SettingsError(f"{name}: must be a TCP port 1..65535, got {value}")
        return value

    def url(self, name: str, schemes: tuple[str, ...]) -> str | None:
        """The URL in ``name`` (``None`` when unset); its scheme must be one of ``schemes``."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            scheme = urlsplit(value).scheme.lower()
        except ValueError as exc:
            raise SettingsError(f"{name}: not a URL ({exc})") from exc
        if scheme not in schemes:
            expected = "|".join(f"{s}://" for s in schemes)
            raise SettingsError(f"{name}: expected a {expected} URL, got scheme {scheme!r}")
        return value

    def int(self, name: str, default: int, *, minimum: int = 0) -> int:
        value = self.parse(name, default, int, "an integer")
        if value < minimum:
            raise SettingsError(f"{name}: must be >= {minimum}, got {value}")
        return value

    def float(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        value = self.parse(name, default, float, "a number")
        if value < minimum:
            raise SettingsError(f"{name}: must be >= {minimum}, got {value}")
        return value

    def bool(self, name: str, default: bool) -> bool:
        def convert(value: str) -> bool:
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise ValueError(value)

        return self.parse(name, default, convert, "true or false")

    def enum(self, name: str, default: E, kind: type[E]) -> E:
        choices = "|".join(str(m.value) for m in kind)
        return self.parse(name, default, kind, f"one of {choices}")

    def text(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None else value

    def file_or_env(self, name: str, file_name: str) -> tuple[str, str] | None:
        """The value of ``name``, else the content of the file named by ``file_name``."""
        value = self.raw(name)
        if value is not None:
            return name, value
        path = self.raw(file_name)
        if path is None:
            return None
        try:
            return file_name, Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"{file_name}: cannot read {path!r}: {exc.strerror}") from exc

    def settings(self) -> Settings:
        tiers = self.tiers()
        providers = self.providers()
        auth = AuthSettings(keys=self.keys({t.name for t in tiers}), tiers=tiers)
        first_mapped = (m for p in providers for m in p.model_map)
        default_model = next(first_mapped, ChatLimits().default_model)
        return Settings(
            server=ServerSettings(
                host=self.parse("CHAT_HOST", "127.0.0.1", _host, "an IP address or host name"),
                port=self.port("CHAT_PORT", 8000),
                workers=self.int("CHAT_WORKERS", 1, minimum=1),
                drain_seconds=self.float("CHAT_DRAIN_SECONDS", 20.0),
                shutdown_grace_seconds=self.float("CHAT_SHUTDOWN_GRACE_SECONDS", 0.0),
                max_body_bytes=self.int("CHAT_MAX_BODY_BYTES", 262_144, minimum=1_024),
                metrics_multiproc_dir=self.raw("PROMETHEUS_MULTIPROC_DIR"),
            ),
            log=LogSettings(
                level=self.parse("CHAT_LOG_LEVEL", "info", _log_level, "debug|info|warning|error"),
                access_log=self.bool("CHAT_ACCESS_LOG", True),
            ),
            auth=auth,
            limits=ChatLimits(
                default_model=self.text("CHAT_DEFAULT_MODEL", default_model),
                max_message_chars=self.int("CHAT_MAX_MESSAGE_CHARS", 16_000, minimum=1),
                max_turns=self.int("CHAT_MAX_TURNS", 64, minimum=1),
                context_turns=self.int("CHAT_CONTEXT_TURNS", 20),
                max_tokens=self.int("CHAT_MAX_TOKENS", 4_096, minimum=1),
                default_max_tokens=self.int("CHAT_DEFAULT_MAX_TOKENS", 512, minimum=1),
            ),
            redis=RedisSettings(
                url=self.url("CHAT_REDIS_URL", REDIS_SCHEMES),
                socket_timeout=self.float("CHAT_REDIS_TIMEOUT", 0.5),
                connect_timeout=self.float("CHAT_REDIS_CONNECT_TIMEOUT", 0.5),
            ),
            store=StoreSettings(
                url=self.url("CHAT_STORE_URL", STORE_SCHEMES) or "memory://",
                policy=self.enum("CHAT_STORE_POLICY", FailurePolicy.FAIL_CLOSED, FailurePolicy),
                connect_timeout=self.float("CHAT_STORE_CONNECT_TIMEOUT", 2.0, minimum=0.01),
                command_timeout=self.float("CHAT_STORE_COMMAND_TIMEOUT", 5.0, minimum=0.01),
                max_connections=self.int("CHAT_STORE_MAX_CONNECTIONS", 10, minimum=1),
            ),
            rate_limit=RateLimitSettings(
                enabled=self.bool("CHAT_RATE_LIMIT_ENABLED", True),
                policy=self.enum("CHAT_RATE_LIMIT_POLICY", FailurePolicy.FAIL_OPEN, FailurePolicy),
                algorithm=self.parse(
                    "CHAT_RATE_LIMIT_ALGORITHM", "gcra", _algorithm, "gcra or moving-window"
                ),
            ),
            cache=CacheSettings(
                enabled=self.bool("CHAT_CACHE_ENABLED", True),
                ttl_seconds=self.int("CHAT_CACHE_TTL_SECONDS", 300, minimum=1),
                turns_enabled=self.bool("CHAT_TURN_CACHE_ENABLED", True),
                turns_ttl_seconds=self.int("CHAT_TURN_CACHE_TTL_SECONDS", 1_800, minimum=1),
                policy=self.enum("CHAT_CACHE_POLICY", FailurePolicy.FAIL_OPEN, FailurePolicy),
            ),
            resilience=self.resilience(),
            providers=providers,
        )

    def resilience(self) -> ResilienceSettings:
        rate = self.float("CHAT_BREAKER_FAILURE_RATE", 0.5)
        if rate > 1.0:
            raise SettingsError(f"CHAT_BREAKER_FAILURE_RATE: must be <= 1, got {rate}")
        return ResilienceSettings(
            retry_enabled=self.bool("CHAT_RETRY_ENABLED", True),
            retry_attempts=self.int("CHAT_RETRY_ATTEMPTS", 3, minimum=1),
            retry_base_delay=self.float("CHAT_RETRY_BASE_DELAY", 0.1),
            retry_max_delay=self.float("CHAT_RETRY_MAX_DELAY", 2.0),
            retry_after_cap=self.float("CHAT_RETRY_AFTER_CAP", 5.0),
            budget_enabled=self.bool("CHAT_RETRY_BUDGET_ENABLED", True),
            budget_ratio=self.float("CHAT_RETRY_BUDGET_RATIO", 0.2),
            budget_min_per_second=self.float("CHAT_RETRY_BUDGET_MIN_PER_SECOND", 1.0),
            breaker_enabled=self.bool("CHAT_BREAKER_ENABLED", True),
            breaker_failure_rate=rate,
            breaker_window_seconds=self.float("CHAT_BREAKER_WINDOW_SECONDS", 10.0, minimum=0.1),
            breaker_min_calls=self.int("CHAT_BREAKER_MIN_CALLS", 10, minimum=1),
            breaker_open_seconds=self.float("CHAT_BREAKER_OPEN_SECONDS", 5.0),
            breaker_half_open_probes=self.int("CHAT_BREAKER_HALF_OPEN_PROBES", 2, minimum=1),
            failover_enabled=self.bool("CHAT_FAILOVER_ENABLED", True),
            hedge_after_ms=self.int("CHAT_HEDGE_AFTER_MS", 2_000),
            request_deadline_seconds=self.float(
                "CHAT_REQUEST_DEADLINE_SECONDS", 30.0, minimum=0.01
            ),
            attempt_timeout_seconds=self.float("CHAT_ATTEMPT_TIMEOUT_SECONDS", 20.0, minimum=0.01),
            first_token_timeout_seconds=self.float(
                "CHAT_FIRST_TOKEN_TIMEOUT_SECONDS", 10.0, minimum=0.01
            ),
            stream_timeout_seconds=self.float("CHAT_STREAM_TIMEOUT_SECONDS", 300.0, minimum=0.01),
            max_attempts_per_request=self.int("CHAT_MAX_ATTEMPTS_PER_REQUEST", 6, minimum=1),
        )

    def tiers(self) -> tuple[RateLimitTier, ...]:
        name = "CHAT_RATE_TIERS"
        value = self.raw(name)
        if value is None:
            return AuthSettings().tiers
        tiers: list[RateLimitTier] = []
        for part in value.split(","):
            try:
                tier_name, spec = part.strip().split("=", 1)
                requests, seconds = spec.split("/", 1)
                tier = RateLimitTier(
                    name=tier_name.strip(), requests=int(requests), period_seconds=int(seconds)
                )
            except ValueError as exc:
                raise SettingsError(
                    f"{name}: expected 'name=requests/seconds,...', got {part.strip()!r}"
                ) from exc
            if tier.requests < 1 or tier.period_seconds < 1 or not tier.name:
                raise SettingsError(f"{name}: tier {part.strip()!r} needs positive numbers")
            tiers.append(tier)
        return tuple(tiers)

    def keys(self, tier_names: set[str]) -> tuple[ApiKey, ...]:
        found = self.file_or_env("CHAT_API_KEYS", "CHAT_API_KEYS_FILE")
        if found is None:
            return ()
        name, text = found
        entries = _parse_keys(name, text)
        seen: set[str] = set()
        keys: list[ApiKey] = []
        for key, user_id, tier in entries:
            if tier not in tier_names:
                raise SettingsError(f"{name}: user {user_id!r} names unknown tier {tier!r}")
            digest = hash_key(key)
            if digest in seen:
                raise SettingsError(f"{name}: a key is listed twice (user {user_id!r})")
            seen.add(digest)
            keys.append(ApiKey(key_sha256=digest, user_id=user_id, tier=tier))
        return tuple(keys)

    def providers(self) -> tuple[ProviderConfig, ...]:
        found = self.file_or_env("CHAT_PROVIDERS", "CHAT_PROVIDERS_FILE")
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
                key = self.raw(str(key_env))
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


def _algorithm(value: str) -> Literal["gcra", "moving-window"]:
    if value == "gcra":
        return "gcra"
    if value == "moving-window":
        return "moving-window"
    raise ValueError(value)


def _host(value: str) -> str:
    """An IP address (v4 or v6, brackets allowed) or a syntactically valid host name."""
    bare = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    labels = bare.rstrip(".").split(".")
    if len(bare) > 253 or labels[-1].isdigit() or not all(map(_HOST_LABEL.match, labels)):
        raise ValueError(value)  # 999.1.1.1 and the like: an address that is none
    return bare


def _log_level(value: str) -> str:
    level = value.lower()
    if level not in ("debug", "info", "warning", "error"):
        raise ValueError(value)
    return level


def _parse_keys(name: str, text: str) -> list[tuple[str, str, str]]:
    """``key:user[:tier]`` items separated by commas or lines, or a JSON list of objects."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
            return [
                (str(i["key"]), str(i["user_id"]), str(i.get("tier", "default"))) for i in items
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise SettingsError(
                f"{name}: expected a JSON list of {{key, user_id, tier}} objects"
            ) from exc
    entries: list[tuple[str, str, str]] = []
    for raw in stripped.replace("\n", ",").split(","):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        parts = item.split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise SettingsError(f"{name}: expected 'key:user[:tier]' items")
        entries.append((parts[0], parts[1], parts[2] if len(parts) == 3 else "default"))
    return entries
