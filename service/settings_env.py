"""Reading ``CHAT_*`` variables: a typed reader that names the variable in every error,
the value parsers it uses, and ``ENV_VARS``, the list of every variable read.

Each settings Struct parses its own concern from an :class:`EnvReader` (its
``from_env``); this module only knows how to read one typed value.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

__all__ = [
    "ENV_VARS",
    "REDIS_SCHEMES",
    "STORE_SCHEMES",
    "EnvReader",
    "SettingsError",
    "parse_algorithm",
    "parse_host",
    "parse_log_level",
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


ENV_VARS: dict[str, str] = {
    "CHAT_HOST": "bind address (127.0.0.1)",
    "CHAT_PORT": "TCP port, 1..65535 (8000)",
    "CHAT_INSTANCE": "this replica's name, sent in every response's x-chat-replica (host:port)",
    "CHAT_WORKERS": "granian workers (1; >1 needs PROMETHEUS_MULTIPROC_DIR)",
    "CHAT_DRAIN_SECONDS": "deadline for in-flight work after SIGTERM, s (20)",
    "CHAT_SHUTDOWN_GRACE_SECONDS": "readiness 503 before the listener closes, s (0)",
    "CHAT_MAX_BODY_BYTES": "largest request body, bytes (262144)",
    "CHAT_READINESS_BACKGROUND_PROBES": (
        "providers probed in the background; /v1/ready reports their last state (true)"
    ),
    "PROMETHEUS_MULTIPROC_DIR": "prometheus_client multiprocess directory (unset)",
    "CHAT_LOG_LEVEL": "debug|info|warning|error (info)",
    "CHAT_ACCESS_LOG": "one JSON line per request (true)",
    "CHAT_API_KEYS": "'key:user[:tier],...' or JSON [{key,user_id,tier}] (none)",
    "CHAT_API_KEYS_FILE": "file with the same formats, one 'key:user[:tier]' a line allowed",
    "CHAT_RATE_TIERS": "'name=requests/seconds,...' (default=120/60)",
    "CHAT_DEFAULT_MODEL": (
        "model when a chat names none (default: the first public name in the chain's "
        "model_map, else gpt-4o-mini)"
    ),
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
    "CHAT_RETRY_AFTER_FAILOVER": (
        "skip a provider until its Retry-After while another is available (true)"
    ),
    "CHAT_UNRESPONSIVE_FAILOVER": (
        "skip a provider that misses its liveness probe, failing its waiting attempts over (true)"
    ),
    "CHAT_PROVIDER_PROBE_INTERVAL_SECONDS": "liveness probe of each provider every, s (0.25)",
    "CHAT_PROVIDER_PROBE_TIMEOUT_SECONDS": "liveness probe's answer within, s (0.5)",
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


class EnvReader:
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


def parse_algorithm(value: str) -> Literal["gcra", "moving-window"]:
    if value == "gcra":
        return "gcra"
    if value == "moving-window":
        return "moving-window"
    raise ValueError(value)


def parse_host(value: str) -> str:
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


def parse_log_level(value: str) -> str:
    level = value.lower()
    if level not in ("debug", "info", "warning", "error"):
        raise ValueError(value)
    return level
