"""The typed records of a stack directory and a run directory (their paths are in
``rundir.layout``): ``stack.json`` (``Stack``), ``events.jsonl`` (``Event``),
``load/requests-<worker>.jsonl`` (``RequestRecord``), ``upstream/<fake>.jsonl``
(``UpstreamRecord``).

Nothing after ``chaoslab up`` asks which backend made the stack. This package imports
nothing from the project, so the stack backends, the experiment runner, the Locust
processes and the reports all read and write the same Structs. Times are Unix seconds
(float, wall clock); durations are seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from rundir.layout import EVENTS_FILE, LOAD_DIR, REQUESTS_GLOB, STACK_FILE, UPSTREAM_DIR

__all__ = [
    "SCHEMA_VERSION",
    "SOURCES",
    "CheckThresholds",
    "Component",
    "Control",
    "DockerControl",
    "Event",
    "EventKind",
    "NoControl",
    "Outcome",
    "ProcessControl",
    "ProxyRoute",
    "RequestRecord",
    "RunDirError",
    "Stack",
    "Targets",
    "UpstreamRecord",
    "append_events",
    "key_id",
    "read_events",
    "read_requests",
    "read_stack",
    "read_upstream",
    "stack_keys",
    "stack_token",
    "write_stack",
]

SCHEMA_VERSION = 1
KEY_ID_PREFIX = "sha256:"
T = TypeVar("T")


class RunDirError(ValueError):
    """A run directory file is missing or malformed; the message is one line."""


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


# -- events.jsonl ----------------------------------------------------------------------

EventKind = Literal[
    "run_start",
    "run_end",
    "load_start",
    "load_stop",
    "fault_start",
    "fault_end",
    "check",
    "abort",
    "note",
]


class Event(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One line of ``events.jsonl``.

    A fault is a ``fault_start`` and a ``fault_end`` with the same ``id``; a fault with a
    start and no end is still open (the runner was killed) and is reverted by the next
    ``chaoslab run`` or by ``chaoslab down``.
    """

    t: float
    kind: EventKind
    id: str | None = None
    target: str | None = None
    """The role as the scenario wrote it (``primary-provider``, ``replica:any``)."""
    action: str | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)
    """Free-form: the resolved component, toxic attributes, how to revert, check results."""


def append_events(run_dir: Path, events: Iterable[Event]) -> None:
    """Append events, one JSON line each, flushed at once (a killed runner loses nothing)."""
    path = run_dir / EVENTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.json.Encoder()
    with path.open("ab") as out:
        for event in events:
            out.write(encoder.encode(event) + b"\n")


def read_events(run_dir: Path) -> list[Event]:
    return list(_read_lines(run_dir / EVENTS_FILE, Event))


# -- load/requests.jsonl ---------------------------------------------------------------

Outcome = Literal["good", "failure", "excluded"]
SOURCES = (
    "replica",
    "provider",
    "dependency",
    "load_balancer",
    "client_timeout",
    "no_response",
    "load_generator",
)
"""Who answered a request (``RequestRecord.source``)."""


class RequestRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One client request as the load generator saw it (the primary SLI source).

    ``outcome`` comes from the one outcome table (``loadtests.outcomes``); ``reason`` says
    why (``ok``, ``http_503``, ``timeout``, ``stream_incomplete``, ``dropped_at_cap``...).
    """

    t: float
    """When the request was sent (or, for an open model, when it was due)."""
    user: str
    """The simulated user's kind: ``chat``, ``stream``, ``openai``, ``abusive``."""
    name: str
    """The request's name (route template), as Locust reports it."""
    outcome: Outcome
    reason: str
    status: int = 0
    """HTTP status; 0 when no response came."""
    latency_s: float
    """Until the last byte (or the failure)."""
    ttft_s: float | None = None
    """Time to first token, for streams."""
    stream: bool = False
    provider: str | None = None
    tokens: int | None = None
    """For streams: content events received (each a token, as the fakes send them)."""
    request_id: str | None = None
    worker: str | None = None
    itl_p50_s: float | None = None
    """For streams with two tokens or more: the median gap between consecutive tokens."""
    itl_p95_s: float | None = None
    """The same gaps' nearest-rank p95."""
    itl_max_s: float | None = None
    """The longest gap (a stall)."""
    tokens_per_s: float | None = None
    """Tokens after the first / seconds from the first token to the last."""
    stream_complete: bool | None = None
    """For streams answered 2xx: whether the final event (``done`` / ``[DONE]``) arrived."""
    marks: tuple[int, ...] | None = None
    """For 2xx answers: the distinct output marks found in the answer's text, in order of
    first appearance (each lab fake marks every token it serves with its own mark, see
    ``Component.extra["mark"]``); two or more: text from two providers in one answer.
    Null: not an answer, or an answer without marks (unmarked providers)."""
    source: str | None = None
    """Who gave the answer (``SOURCES``): ``replica`` (the service answered, success or its
    own error), ``provider`` (a provider's error the service passed through), ``dependency``
    (the service's 503 naming a dependency), ``load_balancer`` (an answer with neither the
    service's ``x-request-id`` nor ``x-chat-replica``: HAProxy's own 503), ``client_timeout``,
    ``no_response`` (connection refused or reset), ``load_generator`` (an open-model arrival
    dropped or late). Null in logs written before it existed."""
    replica: str | None = None
    """The replica that answered (its ``x-chat-replica`` header), when one did."""
    cached: bool | None = None
    """For 2xx answers: whether the service answered from its response cache."""


# -- upstream/*.jsonl -------------------------------------------------------------------


class UpstreamRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One chat request as a fake provider saw it (one upstream attempt of the service).

    The fakes write these lines to their request log (``FAKE_LLM_REQUEST_LOG``); at the end
    of a run the runner copies each fake's lines of the run into
    ``RUN/upstream/<component name>.jsonl``. ``rid`` is the service's request id, which the
    service sends upstream in ``x-request-id`` and returns to the client (the client's
    ``RequestRecord.request_id``): attempts per client request are counted by the fakes.
    """

    t: float
    """When the request arrived, Unix seconds."""
    rid: str | None = None
    """The ``x-request-id`` header the caller sent (the service's request id)."""
    id: str = ""
    """The fake's own response id."""
    vendor: str = ""
    model: str = ""
    stream: bool = False
    status: int = 0
    """HTTP status sent; 0 when none was (connection reset, client gone during a hang)."""
    outcome: str = ""
    """The fake's outcome (``ok``, ``stream_fault``, ``error``, ``reset``, ``hang``, ...)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    """Completion tokens actually sent (a cut stream counts what went out)."""
    latency_s: float = 0.0
    """Until the answer (or the failure) was sent."""
    drawn_ttft_s: float | None = None
    """Time to first token the fake drew (its provider profile, a latency fault or a tail)."""
    drawn_tokens_per_s: float | None = None
    """Decode rate the provider profile drew (None: no profile rate)."""
    drawn_tokens: int | None = None
    """The answer's length in tokens (the profile's or the natural one, cut by max_tokens)."""
    drawn_stall_s: float | None = None
    """A mid-stream pause the profile drew (None: none)."""


def read_upstream(run_dir: Path) -> dict[str, list[UpstreamRecord]]:
    """Component name -> the attempts its log recorded during the run (empty: no logs)."""
    out: dict[str, list[UpstreamRecord]] = {}
    for path in sorted((run_dir / UPSTREAM_DIR).glob("*.jsonl")):
        out[path.stem] = list(_read_lines(path, UpstreamRecord))
    return out


def read_requests(run_dir: Path) -> list[RequestRecord]:
    """Every request of the run (all files matching ``load/requests*.jsonl``: one per
    Locust worker)."""
    records: list[RequestRecord] = []
    for path in sorted((run_dir / LOAD_DIR).glob(REQUESTS_GLOB)):
        records.extend(_read_lines(path, RequestRecord))
    return records


def _read_lines(path: Path, kind: type[T]) -> Iterator[T]:
    decoder = msgspec.json.Decoder(kind)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return
    except OSError as error:  # a directory, unreadable...
        raise RunDirError(f"{path}: cannot read ({error.strerror or error})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield decoder.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            if number == len(lines):
                return  # a last line cut by a killed writer
            raise RunDirError(f"{path}:{number}: {error}") from None
