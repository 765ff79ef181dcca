"""The lab's phases, read from ``lab/phases.toml`` (the only place phases exist).

``load_phases()`` parses and validates the file once: a wrong type, an unknown key, a
service variable the service does not read (or one the lab owns), or flags the service
would refuse raise ``PhaseError`` whose message is one line naming the file, the line
and the key (``lab/phases.toml:31: v2.replicas: Expected `int`, got `str```). The
CLI prints it and exits 2.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import msgspec

from fakes.llm.profiles import PROFILES
from rundir import CheckThresholds, Targets

__all__ = [
    "ENV_PHASES",
    "LAB_OWNED_VARS",
    "PHASES_FILE",
    "Checks",
    "Load",
    "Phase",
    "PhaseError",
    "ProviderSpec",
    "RedisSpec",
    "StoreSpec",
    "get_phase",
    "load_phases",
    "phases_file",
]

PHASES_FILE = Path(__file__).with_name("phases.toml")
ENV_PHASES = "CHAOSLAB_PHASES"
"""Another phase file to read instead of ``lab/phases.toml`` (``--phases FILE`` sets it, so
the processes the lab starts read the same file)."""


def phases_file() -> Path:
    """The phase file in use: ``$CHAOSLAB_PHASES`` when set, else ``lab/phases.toml``."""
    chosen = os.environ.get(ENV_PHASES)
    return Path(chosen) if chosen else PHASES_FILE


Policy = Literal["fail-open", "fail-closed"]

LAB_OWNED_VARS = frozenset(
    {
        "CHAT_HOST",
        "CHAT_PORT",
        "CHAT_WORKERS",
        "CHAT_PROVIDERS",
        "CHAT_PROVIDERS_FILE",
        "CHAT_REDIS_URL",
        "CHAT_STORE_URL",
        "CHAT_API_KEYS",
        "CHAT_API_KEYS_FILE",
        "CHAT_RATE_LIMIT_POLICY",
        "CHAT_CACHE_POLICY",
        "CHAT_STORE_POLICY",
        "PROMETHEUS_MULTIPROC_DIR",
    }
)
"""Variables the lab sets itself (addresses, keys, the policies of [redis] and [store])."""


ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
"""Phase ids and provider names: identifiers (they name directories, proxies and roles)."""
REGION_PATTERN = re.compile(r"^[a-z]$")
"""A region is one lowercase letter (``region:a`` in a scenario)."""
MAX_USERS = 10_000
"""The most simulated users a phase may ask for (ceil(seed_users * factor))."""
MAX_TARGET_S = 600.0
"""The loosest latency target a phase may set (seconds)."""


class PhaseError(ValueError):
    """The phase file is wrong; the message is one line naming file, line and key."""


class _Spec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class ProviderSpec(_Spec, frozen=True, kw_only=True):
    """One fake provider: ``name`` is what the service's chain calls it; ``vendor`` its wire."""

    name: str
    vendor: Literal["openai", "anthropic"]
    profile: str = "small-hosted"
    """The fake's provider profile (``fakes.llm.profiles``): its normal speed and answer
    lengths; realistic by default, ``instant`` for benchmarks."""

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}: choose one of "
                             f"{', '.join(sorted(PROFILES))}")  # fmt: skip


class RedisSpec(_Spec, frozen=True, kw_only=True):
    persistence: bool = False
    """Append-only file on (a restart keeps rate-limit counts and caches) or off."""
    policy: Policy = "fail-open"
    """``CHAT_RATE_LIMIT_POLICY`` and ``CHAT_CACHE_POLICY``."""
    per_region: bool = False
    """One Redis per region (replicas use their region's)."""


class StoreSpec(_Spec, frozen=True, kw_only=True):
    kind: Literal["postgres", "memory"] = "postgres"
    """The local backend's store."""
    policy: Policy = "fail-closed"
    """``CHAT_STORE_POLICY``."""
    standby: bool = False
    """A streaming-replication standby in the second region, promoted at region failover."""
    compose_kind: Literal["postgres", "mongo"] = "postgres"
    """The store of the compose backend."""


class Load(_Spec, frozen=True, kw_only=True):
    seed_users: int
    """The upper figure of the seed's concurrent-user band for this phase."""
    factor: float
    """What the lab scales it by to fit one machine."""
    spawn_rate: float = 5.0
    """Users started per second."""

    @property
    def users(self) -> int:
        return max(1, math.ceil(self.seed_users * self.factor))


class Checks(CheckThresholds, frozen=True, kw_only=True):
    """LLM-aware check thresholds: the run directory's own Struct (``rundir``), so the phase
    file and ``stack.json`` hold one shape; ``reports.checks`` judges them."""


class _TargetsSpec(_Spec, frozen=True, kw_only=True):
    availability: float
    latency_p95_s: float
    ttft_p95_s: float


class Phase(_Spec, frozen=True, kw_only=True):
    id: str = ""
    title: str
    summary: str = ""
    replicas: int
    """Service replicas per region."""
    regions: tuple[str, ...] = ("a",)
    supervise: bool = False
    """Restart replicas that die."""
    providers: tuple[ProviderSpec, ...]
    redis: RedisSpec = RedisSpec()
    store: StoreSpec = StoreSpec()
    targets: _TargetsSpec
    load: Load
    checks: Checks = Checks()
    service: dict[str, bool | int | float | str] = msgspec.field(default_factory=dict)
    """``CHAT_*`` variables for the service (its feature flags)."""

    @property
    def total_replicas(self) -> int:
        return self.replicas * len(self.regions)

    @property
    def multi_region(self) -> bool:
        return len(self.regions) > 1

    def sla(self) -> Targets:
        t = self.targets
        return Targets(
            availability=t.availability, latency_p95_s=t.latency_p95_s, ttft_p95_s=t.ttft_p95_s
        )

    def service_env(self) -> dict[str, str]:
        """The feature flags as the service reads them (policies included)."""
        env = {key: _env_value(value) for key, value in self.service.items()}
        env["CHAT_RATE_LIMIT_POLICY"] = self.redis.policy
        env["CHAT_CACHE_POLICY"] = self.redis.policy
        env["CHAT_STORE_POLICY"] = self.store.policy
        return env

    def as_config(self) -> dict[str, Any]:
        """The phase as plain data (``Stack.phase_config``), users included."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        data["load"]["users"] = self.load.users
        return data


def _env_value(value: bool | int | float | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_phases(path: Path | None = None) -> dict[str, Phase]:
    """Every phase of the file (default: ``phases_file()``), by id, in file order;
    ``PhaseError`` when it is wrong."""
    path = phases_file() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PhaseError(f"{path}: cannot read ({error.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PhaseError(f"{path}: not valid TOML ({error})") from None
    if not raw:
        raise PhaseError(f"{path}: no phase defined; add a table such as [v1]")
    phases: dict[str, Phase] = {}
    seen: dict[str, str] = {}
    for phase_id, entry in raw.items():
        where = _Locator(path, text, phase_id)
        if phase_id.lower() in seen:
            raise PhaseError(
                f"{where.at([])}: [{phase_id}] clashes with [{seen[phase_id.lower()]}] "
                "(phase ids are case-insensitive); rename one"
            )
        seen[phase_id.lower()] = phase_id
        if not ID_PATTERN.match(phase_id):
            raise PhaseError(
                f"{where.at([])}: {phase_id!r}: a phase id is lowercase letters, digits, "
                "_ or - (32 at most), starting with a letter, e.g. [v5]"
            )
        if not isinstance(entry, dict):
            raise PhaseError(f"{where.at([])}: {phase_id}: expected a table [{phase_id}]")
        try:
            phase = msgspec.convert({**entry, "id": phase_id}, Phase)
        except msgspec.ValidationError as error:
            keys = _path_of(str(error))
            dotted = ".".join([phase_id, *keys])
            message = str(error).split(" - at ")[0]
            raise PhaseError(f"{where.at(keys)}: {dotted}: {message}") from None
        _check(phase, where)
        phases[phase_id] = phase
    return phases


def get_phase(phase_id: str, *, path: Path | None = None) -> Phase:
    """One phase by id; ``PhaseError`` naming the known ids otherwise."""
    phases = load_phases(path)
    try:
        return phases[phase_id.lower()]
    except KeyError:
        known = ", ".join(phases)
        raise PhaseError(f"unknown phase {phase_id!r}: choose one of {known}") from None


def _check(phase: Phase, where: _Locator) -> None:
    from service.settings import ENV_VARS, Settings, SettingsError

    def fail(keys: list[str], message: str) -> PhaseError:
        return PhaseError(f"{where.at(keys)}: {'.'.join([phase.id, *keys])}: {message}")

    if phase.replicas < 1:
        raise fail(["replicas"], "must be >= 1")
    if not phase.regions or len(set(phase.regions)) != len(phase.regions):
        raise fail(["regions"], "needs one or more distinct region names")
    if not phase.providers:
        raise fail(["providers"], "needs at least one provider")
    names = [p.name for p in phase.providers]
    if len(set(names)) != len(names):
        raise fail(["providers"], f"provider names must be unique, got {names}")
    for name in names:
        if not ID_PATTERN.match(name):
            raise fail(
                ["providers"],
                f"provider name {name!r}: lowercase letters, digits, _ or -, e.g. 'openai'",
            )
    for region in phase.regions:
        if not REGION_PATTERN.match(region):
            raise fail(["regions"], f"{region!r}: a region is one lowercase letter, e.g. 'a'")
    if phase.store.standby and not phase.multi_region:
        raise fail(["store", "standby"], "a standby needs a second region in `regions`")
    if not 0 < phase.targets.availability < 1:
        raise fail(["targets", "availability"], "must be a ratio between 0 and 1, e.g. 0.999")
    for key in ("latency_p95_s", "ttft_p95_s"):
        value = getattr(phase.targets, key)
        if not 0 < value <= MAX_TARGET_S:
            raise fail(["targets", key], f"must be more than 0 s and at most {MAX_TARGET_S:g} s")
    if phase.load.seed_users < 1:
        raise fail(["load", "seed_users"], "must be >= 1")
    if not 0 < phase.load.factor <= 1:
        raise fail(["load", "factor"], "scales the seed's users down: more than 0, at most 1")
    if phase.load.users > MAX_USERS:
        users = phase.load.users
        raise fail(["load"], f"ceil(seed_users x factor) is {users}: {MAX_USERS} at most")
    if not 0 < phase.load.spawn_rate <= 1000:
        raise fail(["load", "spawn_rate"], "users started per second: more than 0, at most 1000")
    for key in phase.checks.__struct_fields__:
        value = getattr(phase.checks, key)
        if value is not None and not value > 0:
            raise fail(["checks", key], f"must be more than 0, got {value}")
    for key in phase.service:
        if key in LAB_OWNED_VARS:
            raise fail(["service", key], "is set by the lab; remove it from the phase")
        if key not in ENV_VARS:
            raise fail(["service", key], "is not a variable the service reads")
    try:
        Settings.from_env(phase.service_env())
    except SettingsError as error:
        variable = str(error).split(":", 1)[0]
        raise fail(["service", variable], str(error)) from None


def _path_of(message: str) -> list[str]:
    """``$.targets.availability`` / ``$.providers[1].vendor`` -> key list."""
    _, _, at = message.partition(" - at `$")
    at = at.rstrip("`")
    keys: list[str] = []
    for part in at.split("."):
        if not part:
            continue
        name, _, index = part.partition("[")
        if name:
            keys.append(name)
        if index:
            keys.append(index.rstrip("]"))
    if "unknown field `" in message or "missing required field `" in message:
        keys.append(message.split(" - at ")[0].rsplit("`", 2)[-2])
    return keys


class _Locator:
    """Finds the line of a phase's key in the TOML text (best effort, never fails)."""

    def __init__(self, path: Path, text: str, phase_id: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.phase_id = phase_id

    def at(self, keys: list[str]) -> str:
        return f"{self.path}:{self._line(keys)}"

    def _line(self, keys: list[str]) -> int:
        table: list[str] = []
        header_line = 0
        best = 0
        for number, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            if line.startswith("["):
                table = [t.strip() for t in line.strip("[]").split(".")]
                if table[:1] == [self.phase_id] and header_line == 0:
                    header_line = number
                if table[:1] == [self.phase_id] and len(table) > 1 and keys[:1] == table[1:2]:
                    best = best or number
                    if len(keys) > 1 and len(table) == 2:
                        return self._key_after(number, keys[1]) or best
                continue
            if table[:1] != [self.phase_id] or not keys:
                continue
            key = line.split("=", 1)[0].strip()
            if len(table) == 1 and key == keys[0]:
                return number
        return best or header_line or 1

    def _key_after(self, start: int, key: str) -> int:
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1].strip()
            if line.startswith("["):
                return 0
            if line.split("=", 1)[0].strip() == key:
                return number
        return 0
