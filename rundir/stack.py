"""``stack.json``: what ``chaoslab up`` started (or found), as ``Stack``; the same file is
copied into every run directory. Nothing after ``up`` asks which backend made it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from rundir.layout import STACK_FILE
from rundir.records import RunDirError

__all__ = [
    "KEY_ID_PREFIX",
    "SCHEMA_VERSION",
    "CheckThresholds",
    "Component",
    "Control",
    "DockerControl",
    "NoControl",
    "ProcessControl",
    "ProxyRoute",
    "Stack",
    "Targets",
    "fresh_stack",
    "key_id",
    "read_stack",
    "stack_keys",
    "stack_token",
    "write_stack",
]

SCHEMA_VERSION = 1
KEY_ID_PREFIX = "sha256:"


# -- stack.json ------------------------------------------------------------------------


class ProcessControl(msgspec.Struct, frozen=True, kw_only=True, tag="process"):
    """A local process: signal its process group (kill, SIGSTOP freeze, SIGCONT)."""

    pid: int
    pgid: int
    start: int | None = None
    """When ``pid`` started (``/proc/<pid>/stat`` field 22, clock ticks since boot): with the
    pid, the process's identity (a pid reused by another process has another start)."""


class DockerControl(msgspec.Struct, frozen=True, kw_only=True, tag="docker"):
    """A compose container: ``docker kill`` / ``docker pause`` / ``docker start``."""

    container: str


class NoControl(msgspec.Struct, frozen=True, kw_only=True, tag="none"):
    """Runs elsewhere (external backend): the lab cannot kill or freeze it."""


Control = ProcessControl | DockerControl | NoControl


class Component(msgspec.Struct, frozen=True, kw_only=True):
    """One part of the stack.

    ``kind`` is one of: ``replica``, ``provider``, ``redis``, ``store``, ``standby-store``,
    ``proxy`` (the fault proxy itself), ``haproxy``, ``prometheus``, ``supervisor``.
    """

    name: str
    """Unique in the stack: ``replica-1``, ``fake-openai-1``, ``redis-a``, ``postgres``..."""
    kind: str
    url: str | None = None
    """How a client reaches it directly (``http://``, ``redis://``, ``postgresql://``)."""
    control: Control = NoControl()
    region: str | None = None
    """``a`` / ``b`` where the phase has regions."""
    index: int | None = None
    """1-based position among its kind (replica 1, provider 2)."""
    admin_url: str | None = None
    """A fault/admin API root: a fake's ``/_fake``, the proxy's Toxiproxy API."""
    metrics_url: str | None = None
    """What Prometheus scrapes for it (job = ``kind``, instance = ``name``)."""
    log: str | None = None
    """Path of its log file."""
    vendor: str | None = None
    """For providers: ``openai`` or ``anthropic`` (the wire it speaks)."""
    provider: str | None = None
    """For providers: the name the service's chain knows it by (``openai``, ``openai-2``)."""
    extra: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def mark(self) -> int | None:
        """For a lab fake provider: the output mark it puts on every token it serves
        (``extra["mark"]``, what ``RequestRecord.marks`` holds); None: an unmarked one."""
        mark = self.extra.get("mark")
        return mark if isinstance(mark, int) and not isinstance(mark, bool) else None


class ProxyRoute(msgspec.Struct, frozen=True, kw_only=True):
    """One fault-proxy proxy: a dependency as one replica reaches it."""

    name: str
    """The proxy's name in the Toxiproxy API, e.g. ``replica-1.openai``."""
    listen: str
    upstream: str
    role: str
    """``cache``, ``store``, or ``provider:<provider name>``."""
    component: str
    """The component behind it (``redis-a``, ``fake-openai-1``)."""
    replica: str | None = None
    """The replica whose traffic goes through it (one proxy per dependency per replica)."""


class Targets(msgspec.Struct, frozen=True, kw_only=True):
    """The SLA a phase promises (copied from the phase file into every run)."""

    availability: Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)]
    """Good / valid requests, e.g. 0.999 (a ratio: a tampered -3 or 1.5 does not read)."""
    latency_p95_s: Annotated[float, msgspec.Meta(gt=0.0)]
    ttft_p95_s: Annotated[float, msgspec.Meta(gt=0.0)]


class CheckThresholds(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A phase's LLM-aware check thresholds (``checks`` in the phase file; each optional:
    unset = the check is "not applicable"); docs/phases.md says what each means."""

    max_attempts_per_request: float | None = None
    """Upstream attempts per client request, whole run and every fault window."""
    breaker_opens_within_failures: int | None = None
    """Failures a replica's breaker may absorb from a faulted provider before it opens."""
    failover_s: float | None = None
    """Seconds from a provider fault to the first answer from another provider."""
    burn_rate: float | None = None
    """Burn-rate threshold of the run-scaled multi-window alert (the workbook's 14.4)."""


class Stack(msgspec.Struct, frozen=True, kw_only=True):
    """What ``chaoslab up`` started (or found, on the external backend)."""

    schema_version: int = SCHEMA_VERSION
    phase: str
    """Phase id: ``v1`` .. ``v4``."""
    phase_title: str = ""
    backend: Literal["local", "compose", "external"] = "local"
    seed: int = 0
    created_at: float = 0.0
    stack_dir: str = ""
    """The stack directory ``chaoslab up`` made (where a fresh ``stack.json`` is re-read);
    stack.json files older than this field named it ``run_dir``, which is ignored."""
    front_door: str
    """The URL load goes to: HAProxy, or the one replica."""
    api_key: str
    """A development API key the stack accepts; on disk, when ``keys_file`` is set, only its
    id (``sha256:...``): the key itself is in the key file (``stack_keys`` reads it)."""
    load_api_keys: tuple[str, ...] = ()
    """Keys for simulated users, each its own user (rate limits apply per key); on disk, with
    ``keys_file``, their ids only."""
    token_file: str | None = None
    """The stack's token file (mode 600): the fakes' fault API (``/_fake``) and the
    supervisor's control channel take that token (``stack_token`` reads it)."""
    keys_file: str | None = None
    """The stack's key file (mode 600, ``key:user`` a line, the development key first):
    the only place its keys are written."""
    prometheus_url: str | None = None
    proxy_api: str | None = None
    targets: Targets
    phase_config: dict[str, Any] = msgspec.field(default_factory=dict)
    """The phase's entry from the phase file, verbatim (topology, flags, load)."""
    components: tuple[Component, ...] = ()
    proxies: tuple[ProxyRoute, ...] = ()
    supervisor_pid: int | None = None

    @property
    def checks(self) -> CheckThresholds:
        """The phase's check thresholds (``phase_config["checks"]``); ``RunDirError`` when
        they do not fit ``CheckThresholds``."""
        try:
            return msgspec.convert(self.phase_config.get("checks") or {}, CheckThresholds)
        except msgspec.ValidationError as error:
            raise RunDirError(f"{STACK_FILE}: phase_config.checks: {error}") from None

    def component(self, name: str) -> Component:
        for part in self.components:
            if part.name == name:
                return part
        raise KeyError(name)

    def of_kind(self, kind: str) -> tuple[Component, ...]:
        return tuple(part for part in self.components if part.kind == kind)


def key_id(key: str) -> str:
    """What a file may say about a key: ``sha256:`` and the first 16 hex digits of its
    hash (an id is kept as it is)."""
    if key.startswith(KEY_ID_PREFIX):
        return key
    return KEY_ID_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


def stack_keys(stack: Stack) -> tuple[str, tuple[str, ...]]:
    """The stack's development key and its load keys: from its key file when it names one
    (``RunDirError`` when that file cannot be read), else from ``stack.json`` itself."""
    if not stack.keys_file:
        return stack.api_key, stack.load_api_keys or (stack.api_key,)
    try:
        lines = Path(stack.keys_file).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise RunDirError(f"{stack.keys_file}: cannot read the stack's keys ({error})") from None
    pairs = [line.rsplit(":", 1) for line in lines if ":" in line]
    if not pairs:
        raise RunDirError(f"{stack.keys_file}: no key in the stack's key file")
    load = tuple(key for key, user in pairs if user.startswith("load-"))
    return pairs[0][0], load or (pairs[0][0],)


def stack_token(stack: Stack) -> str | None:
    """The stack's token (None when the stack has none, or its file cannot be read)."""
    if not stack.token_file:
        return None
    try:
        return Path(stack.token_file).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def write_stack(run_dir: Path, stack: Stack) -> Path:
    """Write ``stack.json`` atomically (write then rename). With a key file, the keys are
    written as ids only (no secret in a stack or run directory)."""
    if stack.keys_file:
        stack = msgspec.structs.replace(
            stack,
            api_key=key_id(stack.api_key),
            load_api_keys=tuple(key_id(key) for key in stack.load_api_keys),
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / STACK_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(stack), indent=2))
    tmp.replace(path)
    return path


def fresh_stack(stack: Stack) -> Stack:
    """``stack`` as its stack directory's ``stack.json`` says now (a replica restarted since
    has a new pid there); ``stack`` itself when that cannot be read."""
    if stack.stack_dir:
        try:
            return read_stack(Path(stack.stack_dir))
        except RunDirError:
            pass
    return stack


def read_stack(run_dir: Path) -> Stack:
    path = run_dir / STACK_FILE
    try:
        return msgspec.json.decode(path.read_bytes(), type=Stack)
    except FileNotFoundError:
        raise RunDirError(f"{path}: no stack here; start one with `chaoslab up`") from None
    except OSError as error:  # a directory, unreadable...
        raise RunDirError(f"{path}: cannot read ({error.strerror or error})") from None
    except msgspec.ValidationError as error:
        raise RunDirError(f"{path}: {error}") from None
    except msgspec.DecodeError as error:
        raise RunDirError(f"{path}: not valid JSON ({error})") from None
