"""API keys and rate-limit tiers: the auth concern of the settings, with its parsing.

Keys are hashed on load: only their SHA-256 hex digests are kept in memory.
"""

from __future__ import annotations

import hashlib
import json

import msgspec

from service.domain.types import RateLimitTier
from service.settings_env import EnvReader, SettingsError

__all__ = ["ApiKey", "AuthSettings", "hash_key"]


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key: the only form kept in memory."""
    return hashlib.sha256(key.encode()).hexdigest()


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

    @classmethod
    def from_env(cls, env: EnvReader) -> AuthSettings:
        """``CHAT_RATE_TIERS`` and ``CHAT_API_KEYS`` (or ``CHAT_API_KEYS_FILE``)."""
        tiers = _tiers(env)
        return cls(keys=_keys(env, {t.name for t in tiers}), tiers=tiers)


def _tiers(env: EnvReader) -> tuple[RateLimitTier, ...]:
    name = "CHAT_RATE_TIERS"
    value = env.raw(name)
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


def _keys(env: EnvReader, tier_names: set[str]) -> tuple[ApiKey, ...]:
    found = env.file_or_env("CHAT_API_KEYS", "CHAT_API_KEYS_FILE")
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
