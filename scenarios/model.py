"""The scenario model: a hypothesis, a steady state, a load and a timeline of faults.

Scenario files (``scenarios/*.toml``) decode into ``Scenario``; every field carries its unit,
default and an example in its ``Meta``, from which ``scenarios.reference`` generates the field
reference and the JSON Schema. Durations are seconds, written as a number (``30``) or a string
(``"30s"``, ``"2m"``, ``"1m30s"``, ``"500ms"``). Targets are roles, not products (see
``scenarios.targets``).

About 340 lines, nearly all field declarations with their documentation (from which the
reference and the schema are generated); the logic is in ``loader`` and ``targets``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal, cast

import msgspec

from fakes.llm.faults import FaultConfig

__all__ = [
    "ACTIONS",
    "FAULT_ACTIONS",
    "MAX_ARRIVAL_RATE",
    "MAX_DURATION_S",
    "MAX_USERS",
    "NAME_PATTERN",
    "PROCESS_ACTIONS",
    "TARGET_PATTERN",
    "TOXIC_ACTIONS",
    "TOXIC_ATTRIBUTES",
    "Abort",
    "Action",
    "Fault",
    "Load",
    "Scenario",
    "Seconds",
    "SteadyState",
    "UserKind",
    "dec_hook",
    "parse_seconds",
]


class Seconds(float):
    """A duration in seconds; decodes from a number or ``"90s"``, ``"2m"``, ``"1m30s"``,
    ``"250ms"``, ``"1h"``."""


def _s(value: float) -> Seconds:
    """A default duration: a plain float (so the JSON Schema can show it), typed Seconds."""
    return cast(Seconds, value)


_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_seconds(text: str) -> Seconds:
    """``"1m30s"`` -> 90.0; ``ValueError`` naming the text otherwise."""
    cleaned = text.strip().lower()
    position, total = 0, 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not cleaned or position != len(cleaned):
        raise ValueError(f"{text!r} is not a duration (write 30, '30s', '2m', '1m30s' or '500ms')")
    return Seconds(total)


def dec_hook(kind: type, value: Any) -> Any:
    """msgspec decode hook for ``Seconds``."""
    if kind is Seconds:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a duration")
        if isinstance(value, int | float):
            if value < 0:
                raise ValueError(f"{value!r}: a duration cannot be negative")
            return Seconds(value)
        if isinstance(value, str):
            return parse_seconds(value)
        raise ValueError(f"{value!r} is not a duration")
    raise NotImplementedError(kind)


TOXIC_ATTRIBUTES: Final[dict[str, tuple[str, ...]]] = {
    "latency": ("latency", "jitter"),
    "bandwidth": ("rate",),
    "slow_close": ("delay",),
    "timeout": ("timeout",),
    "reset_peer": ("timeout",),
    "slicer": ("average_size", "size_variation", "delay"),
    "limit_data": ("bytes",),
}
"""Toxiproxy's toxics and their integer attributes (ms, KB/s, bytes, microseconds for
``slicer.delay``), as in Toxiproxy's README."""

MAX_DURATION_S: Final = 24 * 3600.0
"""The longest run, and the longest latency a toxic may add (one day)."""
MAX_ARRIVAL_RATE: Final = 10_000.0
"""Open model: requests started per second at most (scale out with workers first)."""
MAX_USERS: Final = 10_000
"""Closed model: simulated users at most."""
_ATTRIBUTE_MAX: Final[dict[str, int]] = {
    "latency": 3_600_000,  # ms: one hour
    "jitter": 3_600_000,
    "delay": 3_600_000,  # slow_close ms; slicer microseconds (one hour is ample either way)
    "timeout": 3_600_000,
}
"""Upper bounds of toxic attributes (any other is at most 2**31 - 1, Toxiproxy's int)."""
NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""A fault's name: an identifier (letters, digits, ``_ . -``), so it is safe in a file
name, a Prometheus label and a plot."""

TOXIC_ACTIONS: Final = frozenset(TOXIC_ATTRIBUTES)
PROCESS_ACTIONS: Final = frozenset({"kill", "freeze", "restart"})
FAULT_ACTIONS: Final = frozenset({"fake"})
OUT_ACTIONS: Final = frozenset({"disable", "kill", "freeze", "restart", "region-down"})
"""Actions that take their target out: it answers nothing while they last."""
OUT_TOXICS: Final = frozenset({"timeout", "reset_peer"})
"""Toxics that take the connections they apply to out (no answer, or a reset)."""
TAKE_OUT_SHARE: Final = 0.5
"""A fault that fails at least this share of its target's requests takes it out; a smaller
share, a slower answer or a cut stream degrades it (a failover is not what it calls for)."""

Action = Literal[
    "latency",
    "bandwidth",
    "slow_close",
    "timeout",
    "reset_peer",
    "slicer",
    "limit_data",
    "disable",
    "fake",
    "kill",
    "freeze",
    "restart",
    "region-down",
]
ACTIONS: Final[tuple[str, ...]] = Action.__args__  # type: ignore[attr-defined]

UserKind = Literal["chat", "stream", "openai", "abusive"]

TARGET_PATTERN: Final = (
    r"^(store|cache|load-balancer|primary-provider|provider:([1-9][0-9]*|[a-z][a-z0-9-]*)"
    r"|replica:(any|all|[1-9][0-9]*)|region:[a-z])$"
)

_S = "s"


def _doc(description: str, *, unit: str = "", example: Any = None) -> msgspec.Meta:
    examples = [example] if example is not None else None
    unit_schema = {"x-unit": unit} if unit else None
    return msgspec.Meta(description=description, examples=examples, extra_json_schema=unit_schema)


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Unknown keys are errors (a typo must not pass silently)."""


class SteadyState(_Strict, frozen=True):
    """What must hold before, during and after the faults. Unset targets come from the
    phase (``lab/phases.toml``)."""

    availability: Annotated[
        Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] | None,
        _doc("Override of the phase's availability target (good / valid)", example=0.99),
    ] = None
    latency_p95_s: Annotated[
        Seconds | None, _doc("Override of the phase's p95 latency target", unit=_S, example="3s")
    ] = None
    ttft_p95_s: Annotated[
        Seconds | None,
        _doc("Override of the phase's p95 time-to-first-token target", unit=_S, example="1.5s"),
    ] = None
    windows: Annotated[
        tuple[Literal["before", "during", "after"], ...],
        _doc(
            "Windows checked: before the first fault, during faults, after the last one",
            example=["before", "during", "after"],
        ),
    ] = ("before", "during", "after")
    check_every: Annotated[
        Seconds, _doc("How often the runner checks the live window", unit=_S, example="5s")
    ] = _s(5.0)

    def __post_init__(self) -> None:
        for key in ("latency_p95_s", "ttft_p95_s", "check_every"):
            value = getattr(self, key)
            if value is not None and not 0 < value <= MAX_DURATION_S:
                raise ValueError(f"{key}: must be more than 0 s, got {value:g}")


class Abort(_Strict, frozen=True):
    """Stop the run (and roll back every fault) once the run's error budget is gone."""

    budget: Annotated[
        float,
        _doc(
            "Share of the run's error budget, (1 - availability) x expected requests, that "
            "stops the run once used",
            example=1.0,
        ),
        msgspec.Meta(gt=0.0),
    ] = 1.0
    min_requests: Annotated[
        int, _doc("Requests seen before the rule may fire", unit="requests", example=50)
    ] = 50


class Load(_Strict, frozen=True):
    """Locust's load: a closed model (users) or an open model (``arrival_rate``)."""

    users: Annotated[
        Annotated[int, msgspec.Meta(ge=1, le=MAX_USERS)] | None,
        _doc(
            "Concurrent simulated users (closed model); unset: the phase's nominal users",
            unit="users",
            example=10,
        ),
    ] = None
    spawn_rate: Annotated[
        float,
        _doc("Users started per second", unit="users/s", example=5),
        msgspec.Meta(gt=0, le=1000),
    ] = 5.0
    shape: Annotated[
        Literal["steady", "ramp", "spike", "step"],
        _doc(
            "steady: all users all along; ramp: 1 to users over the run; spike: peak_users in "
            "the middle third; step: `steps` equal steps up to users",
            example="spike",
        ),
    ] = "steady"
    peak_users: Annotated[
        Annotated[int, msgspec.Meta(ge=1, le=MAX_USERS)] | None,
        _doc("Users at a spike's peak (default 3 x users)", unit="users", example=30),
    ] = None
    steps: Annotated[
        int, _doc("Steps of the step shape", example=4), msgspec.Meta(ge=1, le=1000)
    ] = 4
    arrival_rate: Annotated[
        Annotated[float, msgspec.Meta(gt=0, le=MAX_ARRIVAL_RATE)] | None,
        _doc(
            "Open model: requests started per second whatever the service does (late and "
            "dropped ones are failures); replaces users; at most 10000",
            unit="requests/s",
            example=20,
        ),
    ] = None
    max_in_flight: Annotated[
        int,
        _doc("Open model: requests in flight at most; arrivals above it are failures", example=200),
        msgspec.Meta(ge=1, le=100_000),
    ] = 200
    duration: Annotated[Seconds, _doc("Length of the run", unit=_S, example="90s")] = _s(60.0)
    mix: Annotated[
        dict[UserKind, int],
        _doc(
            "Weights of the user kinds: chat (multi-turn), stream (SSE, TTFT), openai "
            "(/v1/chat/completions), abusive (bursts and bad bodies; its 4xx are excluded)",
            example={"chat": 3, "stream": 3, "openai": 2, "abusive": 1},
        ),
    ] = msgspec.field(default_factory=lambda: {"chat": 3, "stream": 3, "openai": 2})
    think_time: Annotated[
        Seconds, _doc("Pause between one user's requests (uniform 0.5x..1.5x)", unit=_S)
    ] = _s(1.0)
    timeout: Annotated[
        Seconds, _doc("Client timeout of one request (then a failure)", unit=_S, example="30s")
    ] = _s(30.0)
    expected_statuses: Annotated[
        tuple[int, ...],
        _doc("Statuses a normal user may get without failing (e.g. 429 in a storm)", example=[429]),
    ] = ()

    def __post_init__(self) -> None:
        if not 0 < self.duration <= MAX_DURATION_S:
            raise ValueError(f"duration: must be more than 0 s and at most {MAX_DURATION_S:g} s")
        if not 0 < self.timeout <= MAX_DURATION_S:
            raise ValueError("timeout: must be more than 0 s")
        if self.think_time > MAX_DURATION_S:
            raise ValueError(f"think_time: at most {MAX_DURATION_S:g} s")


class Fault(_Strict, frozen=True):
    """One entry of the timeline: ``action`` on ``target`` from ``at`` for ``duration``."""

    at: Annotated[Seconds, _doc("Start, from the run's start", unit=_S, example="30s")]
    target: Annotated[
        str,
        _doc(
            "A role: store, cache, load-balancer, primary-provider, provider:N or provider:NAME, "
            "replica:any, replica:all, replica:N, region:X",
            example="primary-provider",
        ),
        msgspec.Meta(pattern=TARGET_PATTERN),
    ]
    action: Annotated[
        Action,
        _doc(
            "A Toxiproxy toxic (latency, bandwidth, slow_close, timeout, reset_peer, slicer, "
            "limit_data), disable (the proxy refuses connections), fake (the fakes' fault API), "
            "kill, freeze (SIGSTOP), restart, region-down",
            example="latency",
        ),
    ]
    duration: Annotated[
        Seconds | None,
        _doc("How long; unset: until the run ends (restart: ignored)", unit=_S, example="30s"),
    ] = None
    name: Annotated[
        Annotated[str, msgspec.Meta(pattern=NAME_PATTERN)] | None,
        _doc(
            "Id in events.jsonl (default fault-<index>): letters, digits, _ . - (64 at most)",
            example="outage",
        ),
    ] = None
    jitter: Annotated[
        Seconds, _doc("Start moved by up to +/- this, drawn from the seed", unit=_S)
    ] = _s(0.0)
    attributes: Annotated[
        dict[str, int],
        _doc(
            "Toxic attributes with Toxiproxy's units (latency/jitter ms, rate KB/s, bytes...)",
            example={"latency": 2000, "jitter": 200},
        ),
    ] = msgspec.field(default_factory=dict)
    stream: Annotated[
        Literal["upstream", "downstream"], _doc("Toxic direction", example="downstream")
    ] = "downstream"
    toxicity: Annotated[
        float,
        _doc("Share of connections the toxic applies to", example=1.0),
        msgspec.Meta(ge=0.0, le=1.0),
    ] = 1.0
    faults: Annotated[
        FaultConfig | None,
        _doc(
            "action = fake: the fake provider's fault configuration (fakes/llm/README.md)",
            example={"outage": {"mode": "status", "status": 503}},
        ),
    ] = None

    def __post_init__(self) -> None:
        if self.action in TOXIC_ACTIONS:
            allowed = TOXIC_ATTRIBUTES[self.action]
            for key in self.attributes:
                if key not in allowed:
                    raise ValueError(
                        f"attributes: {key!r} is not one of {self.action}'s ({', '.join(allowed)})"
                    )
            for key, value in self.attributes.items():
                most = _ATTRIBUTE_MAX.get(key, 2**31 - 1)
                if not 0 <= value <= most:
                    raise ValueError(f"attributes: {key} = {value} is out of range (0 to {most})")
        elif self.attributes:
            raise ValueError(f"attributes: apply to toxics only, not to action {self.action!r}")
        if self.action == "fake" and self.faults is None:
            raise ValueError("action: 'fake' needs a `faults` table (the fake's fault config)")
        if self.action != "fake" and self.faults is not None:
            raise ValueError(f"faults: applies to action 'fake' only, not {self.action!r}")
        if self.action == "region-down" and not self.target.startswith("region:"):
            raise ValueError("target: action 'region-down' needs a region:X target")
        if self.target.startswith("region:") and self.action != "region-down":
            raise ValueError(f"action: a region target takes 'region-down', not {self.action!r}")

    @property
    def takes_out(self) -> bool:
        """Whether the fault takes its target out (it stops answering most requests: a
        failover is due) rather than degrading it (slower answers, a share of errors, cut
        streams). Reports judge failover time only after a fault that takes out."""
        if self.action in OUT_ACTIONS:
            return True
        if self.action in OUT_TOXICS:
            return self.toxicity >= TAKE_OUT_SHARE
        faults = self.faults
        if faults is None:
            return False
        if faults.outage is not None:
            return True
        shares = [s.rate for s in (faults.errors, faults.hang) if s is not None]
        return any(rate >= TAKE_OUT_SHARE for rate in shares)


class Scenario(_Strict, frozen=True):
    """A chaos experiment: hypothesis, steady state, optional abort rule, load, faults."""

    title: Annotated[str, _doc("One line", example="Primary provider outage")]
    hypothesis: Annotated[
        str,
        _doc(
            "What should hold, in words",
            example="With the primary provider down for 30 s, the phase keeps its target",
        ),
    ]
    teaches: Annotated[
        str, _doc("What running it shows (a sentence or two)", example="Why failover matters")
    ]
    tags: Annotated[tuple[str, ...], _doc("Free labels", example=["provider"])] = ()
    steady_state: SteadyState = msgspec.field(default_factory=SteadyState)
    abort: Annotated[Abort | None, _doc("Absent: the run never aborts")] = None
    load: Load = msgspec.field(default_factory=Load)
    faults: Annotated[tuple[Fault, ...], _doc("The timeline, any order")] = ()

    def __post_init__(self) -> None:
        for index, fault in enumerate(self.faults):
            # the latest the jitter may move it: a fault must start and end within the run
            latest = fault.at + fault.jitter
            end = latest + (fault.duration or 0.0)
            if latest >= self.load.duration or end > self.load.duration:
                jitter = f" with its jitter of {fault.jitter:g}s" if fault.jitter else ""
                raise ValueError(
                    f"faults[{index}].at: the fault can end at {end:g}s{jitter}, after the "
                    f"load's duration {self.load.duration:g}s"
                )
        names = [fault.name for fault in self.faults if fault.name]
        if len(names) != len(set(names)):
            raise ValueError("faults: fault names must be unique")
