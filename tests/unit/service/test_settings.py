"""Settings from ``CHAT_*`` variables: typed, validated, one-line errors naming the variable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import service.settings as settings_module
import service.settings_auth as settings_auth
import service.settings_env as settings_env
from service.domain.policy import FailurePolicy
from service.settings import (
    ENV_VARS,
    CacheSettings,
    RedisSettings,
    Settings,
    SettingsError,
    StoreSettings,
    hash_key,
)
from service.settings_env import EnvReader

PROVIDERS = json.dumps(
    [
        {
            "name": "openai",
            "kind": "openai",
            "api_key_env": "OPENAI_KEY",
            "base_url": "http://127.0.0.1:9001/v1",
            "model_map": {"chat-small": "gpt-4o-mini"},
        },
        {
            "name": "claude",
            "kind": "anthropic",
            "api_key": "sk-ant",
            "model_map": {"chat-small": "claude-3-5-haiku-latest", "chat-big": "claude-x"},
        },
    ]
)


def test_defaults_need_no_variable() -> None:
    """An empty environment gives a complete, valid configuration."""
    settings = Settings.from_env({})
    assert settings.server.port == 8000
    assert settings.store.url == "memory://"
    assert settings.store.policy is FailurePolicy.FAIL_CLOSED
    assert settings.rate_limit.policy is FailurePolicy.FAIL_OPEN
    assert settings.redis.url is None
    assert settings.models is None


def test_every_variable_read_is_documented() -> None:
    """Every variable named in the settings modules is listed in ``ENV_VARS``."""
    modules = (settings_module, settings_auth, settings_env)
    source = "".join(Path(m.__file__ or "").read_text() for m in modules)
    read = set(re.findall(r'"((?:CHAT|PROMETHEUS)_[A-Z_]+)"', source))
    assert {"CHAT_API_KEYS", "CHAT_PORT"} <= read
    assert read <= set(ENV_VARS)


def _assert_refused_in_one_line(name: str, value: str, fragment: str) -> None:
    """Loading ``{name: value}`` raises one line that starts with ``name`` and says
    ``fragment``."""
    with pytest.raises(SettingsError) as error:
        Settings.from_env({name: value})
    message = str(error.value)
    assert message.startswith(f"{name}: ")
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CHAT_PORT", "eighty", "expected an integer"),
        ("CHAT_WORKERS", "0", "must be >= 1"),
        ("CHAT_RETRY_ENABLED", "maybe", "true or false"),
        ("CHAT_STORE_POLICY", "fail-soft", "fail-open|fail-closed"),
        ("CHAT_BREAKER_FAILURE_RATE", "1.5", "must be <= 1"),
        ("CHAT_RATE_TIERS", "default=ten/60", "name=requests/seconds"),
        ("CHAT_LOG_LEVEL", "loud", "debug|info"),
        ("CHAT_PROVIDERS", "[{", "not valid JSON"),
        ("CHAT_RATE_LIMIT_ALGORITHM", "leaky", "gcra or moving-window"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, fragment: str) -> None:
    """A malformed value raises one line that starts with the variable's name."""
    _assert_refused_in_one_line(name, value, fragment)


def test_api_keys_are_kept_only_as_hashes() -> None:
    """Keys map to users and tiers; only their SHA-256 is in the settings."""
    settings = Settings.from_env(
        {"CHAT_API_KEYS": "sk-one:alice,sk-two:bob:pro", "CHAT_RATE_TIERS": "default=5/1,pro=50/1"}
    )
    keys = {k.user_id: k for k in settings.auth.keys}
    assert keys["alice"].key_sha256 == hash_key("sk-one")
    assert keys["bob"].tier == "pro"
    assert "sk-one" not in repr(settings)
    assert settings.auth.tier("pro").requests == 50


def test_api_keys_file_accepts_json(tmp_path: Path) -> None:
    """``CHAT_API_KEYS_FILE`` may hold a JSON list of key objects."""
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([{"key": "sk-x", "user_id": "carol"}]))
    settings = Settings.from_env({"CHAT_API_KEYS_FILE": str(path)})
    assert settings.auth.keys[0].user_id == "carol"


def test_unknown_tier_or_duplicate_key_is_refused() -> None:
    """A key naming an undefined tier, or listed twice, is a configuration error."""
    with pytest.raises(SettingsError, match="unknown tier 'gold'"):
        Settings.from_env({"CHAT_API_KEYS": "sk:alice:gold"})
    with pytest.raises(SettingsError, match="listed twice"):
        Settings.from_env({"CHAT_API_KEYS": "sk:alice,sk:bob"})


def test_provider_chain_from_json_with_key_from_env() -> None:
    """The chain is JSON; ``api_key_env`` reads the key from another variable."""
    settings = Settings.from_env({"CHAT_PROVIDERS": PROVIDERS, "OPENAI_KEY": "sk-live"})
    assert [p.name for p in settings.providers] == ["openai", "claude"]
    assert settings.providers[0].api_key == "sk-live"
    assert settings.models == frozenset({"chat-small", "chat-big"})
    assert settings.limits.default_model == "chat-small"
    assert "sk-live" not in repr(settings.providers[0])


def test_chain_without_model_map_defaults_to_a_model_name() -> None:
    """Providers with no model map leave the default model a plain string name."""
    chain = json.dumps([{"name": "openai", "kind": "openai", "api_key": "sk"}])
    settings = Settings.from_env({"CHAT_PROVIDERS": chain})
    assert settings.limits.default_model == "gpt-4o-mini"


def test_provider_key_variable_must_be_set() -> None:
    """A provider naming an unset key variable is an error naming that variable."""
    with pytest.raises(SettingsError, match=r"^OPENAI_KEY: unset"):
        Settings.from_env({"CHAT_PROVIDERS": PROVIDERS})


def test_provider_entry_errors_name_the_entry() -> None:
    """A wrong provider field is reported with the entry's index and the field path."""
    bad = json.dumps([{"name": "x", "kind": "azure", "api_key": "k"}])
    with pytest.raises(SettingsError, match=r"^CHAT_PROVIDERS\[0\]: .*kind"):
        Settings.from_env({"CHAT_PROVIDERS": bad})


def test_feature_flags_are_read() -> None:
    """Resilience flags and dependency policies come from their variables."""
    settings = Settings.from_env(
        {
            "CHAT_RETRY_ENABLED": "off",
            "CHAT_BREAKER_ENABLED": "false",
            "CHAT_FAILOVER_ENABLED": "0",
            "CHAT_HEDGE_AFTER_MS": "250",
            "CHAT_CACHE_POLICY": "fail-closed",
            "CHAT_MAX_ATTEMPTS_PER_REQUEST": "4",
        }
    )
    flags = settings.resilience
    assert (flags.retry_enabled, flags.breaker_enabled, flags.failover_enabled) == (
        False,
        False,
        False,
    )
    assert flags.hedge_after_ms == 250
    assert flags.max_attempts_per_request == 4
    assert settings.cache.policy is FailurePolicy.FAIL_CLOSED


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CHAT_PORT", "70000", "1..65535"),
        ("CHAT_PORT", "0", "1..65535"),
        ("CHAT_HOST", "999.1.1.1", "IP address or host name"),
        ("CHAT_HOST", "not a host", "IP address or host name"),
        ("CHAT_STORE_URL", "mysql://x", "postgresql://"),
        ("CHAT_STORE_URL", "localhost:5432", "memory://"),
        ("CHAT_REDIS_URL", "http://x", "redis://"),
        ("CHAT_PROVIDERS", "[]", "empty"),
    ],
)
def test_listen_address_urls_and_chain_are_checked(name: str, value: str, fragment: str) -> None:
    """Ports out of range, impossible hosts, unknown URL schemes and an empty provider
    chain are refused at load with one line naming the variable."""
    _assert_refused_in_one_line(name, value, fragment)


def test_valid_hosts_and_urls_are_kept() -> None:
    """IPv4, IPv6 and host names, and every supported store and Redis scheme, load."""
    for host in ("0.0.0.0", "::1", "[::1]", "localhost", "chat-1.internal"):
        assert Settings.from_env({"CHAT_HOST": host}).server.host in (host, "::1")
    for url in ("postgres://u@h/db", "mongodb+srv://h/db", "memory://"):
        assert Settings.from_env({"CHAT_STORE_URL": url}).store.url == url
    for url in ("redis://h:6379/0", "rediss://h", "unix:///run/redis.sock"):
        assert Settings.from_env({"CHAT_REDIS_URL": url}).redis.url == url


def test_each_concern_parses_its_own_variables() -> None:
    """A concern's Struct reads only its variables from a reader, with its defaults."""
    env = EnvReader({"CHAT_REDIS_URL": "redis://127.0.0.1:1/0", "CHAT_STORE_POLICY": "fail-open"})
    assert RedisSettings.from_env(env).url == "redis://127.0.0.1:1/0"
    assert StoreSettings.from_env(env).policy is FailurePolicy.FAIL_OPEN
    assert CacheSettings.from_env(env) == CacheSettings()
