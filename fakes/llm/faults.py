"""The fault configuration: strict msgspec Structs, validated on decode.

Unknown fields and out-of-range values raise ``msgspec.ValidationError`` whose message names
the field (``... - at `$.errors.rate```); the admin API turns it into a 400 problem+json.
Every section is optional and defaults to "no fault". ``models`` scopes sections to one model:
a section given there replaces the same top-level section for requests naming that model,
sections left out inherit the top level. The README documents every field with unit and default.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

__all__ = [
    "ERROR_KINDS",
    "STREAM_FAULT_KINDS",
    "Auth",
    "Context",
    "Delay",
    "Errors",
    "FaultConfig",
    "Fixed",
    "Hang",
    "Latency",
    "LogNormal",
    "ModelFaults",
    "Normal",
    "Outage",
    "Quota",
    "Saturation",
    "Sections",
    "StreamFaults",
    "Tail",
    "Uniform",
    "decode_config",
    "decode_latency",
    "load_config",
]

Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Millis = Annotated[float, msgspec.Meta(ge=0.0, le=3_600_000.0)]
Seconds = Annotated[float, msgspec.Meta(ge=0.0, le=86_400.0)]
Weight = Annotated[float, msgspec.Meta(ge=0.0)]

ERROR_KINDS: frozenset[str] = frozenset({"429", "500", "502", "503", "504", "529", "reset"})
STREAM_FAULT_KINDS: frozenset[str] = frozenset(
    {"hang", "close", "malformed_json", "malformed_sse", "error_event"}
)


class _Strict(
    msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True, omit_defaults=True
):
    """Base: unknown fields are an error; values are immutable once decoded."""


class Fixed(_Strict, tag="fixed", tag_field="dist", frozen=True):
    """Always ``ms`` milliseconds."""

    ms: Millis = 0.0


class Uniform(_Strict, tag="uniform", tag_field="dist", frozen=True):
    """Uniform between ``low_ms`` and ``high_ms``."""

    low_ms: Millis = 0.0
    high_ms: Millis = 0.0

    def __post_init__(self) -> None:
        if self.high_ms < self.low_ms:
            raise ValueError("`high_ms` must be >= `low_ms`")


class Normal(_Strict, tag="normal", tag_field="dist", frozen=True):
    """Normal with ``mean_ms`` and ``stddev_ms``, clipped at 0 and at ``max_ms``."""

    mean_ms: Millis = 0.0
    stddev_ms: Millis = 0.0
    max_ms: Millis | None = None


class LogNormal(_Strict, tag="lognormal", tag_field="dist", frozen=True):
    """Log-normal with median ``median_ms`` and shape ``sigma``, clipped at ``max_ms``."""

    median_ms: Annotated[float, msgspec.Meta(gt=0.0, le=3_600_000.0)] = 1.0
    sigma: Annotated[float, msgspec.Meta(ge=0.0, le=10.0)] = 0.5
    max_ms: Millis | None = None


# A delay: a number of milliseconds, or an object whose ``dist`` names a distribution.
Delay = Millis | Fixed | Uniform | Normal | LogNormal


def _check_mix(mix: dict[str, float], kinds: frozenset[str], *, rate: float) -> None:
    """A mix names only ``kinds`` and, when it is drawn from (``rate > 0``), weighs something."""
    unknown = sorted(set(mix) - kinds)
    if unknown:
        raise ValueError(f"`mix` has unknown kind {unknown[0]!r}; use {sorted(kinds)}")
    if rate > 0 and sum(mix.values()) <= 0:
        raise ValueError("`mix` weights must sum to more than 0")


class Errors(_Strict, frozen=True):
    """Injected errors: with probability ``rate`` answer with one kind drawn from ``mix``."""

    rate: Probability = 0.0
    mix: dict[str, Weight] = msgspec.field(default_factory=lambda: {"500": 1.0})
    retry_after_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 1

    def __post_init__(self) -> None:
        _check_mix(self.mix, ERROR_KINDS, rate=self.rate)


class Latency(_Strict, frozen=True):
    """Time to first token and per-token delay (drawn once per request)."""

    ttft: Delay = 0.0
    per_token: Delay = 0.0


class Tail(_Strict, frozen=True):
    """With probability ``rate`` the time to first token is drawn from ``ttft`` instead
    (a slow tail: queueing, a cold replica, a long prompt cache miss)."""

    rate: Probability = 0.0
    ttft: Delay = 0.0


class StreamFaults(_Strict, frozen=True):
    """With probability ``rate`` a stream breaks after ``after_tokens`` tokens."""

    rate: Probability = 0.0
    mix: dict[str, Weight] = msgspec.field(default_factory=lambda: {"close": 1.0})
    after_tokens: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 3

    def __post_init__(self) -> None:
        _check_mix(self.mix, STREAM_FAULT_KINDS, rate=self.rate)


class Hang(_Strict, frozen=True):
    """With probability ``rate`` accept the request and never answer (until ``max_s``)."""

    rate: Probability = 0.0
    max_s: Annotated[float, msgspec.Meta(gt=0.0, le=86_400.0)] = 300.0


class Outage(_Strict, frozen=True):
    """Every request fails, by ``status`` or by a connection reset, for ``duration_s``."""

    mode: Literal["status", "reset"] = "status"
    status: Literal[429, 500, 502, 503, 504, 529] = 503
    duration_s: Annotated[float, msgspec.Meta(gt=0.0, le=86_400.0)] | None = None
    retry_after_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 1


class Saturation(_Strict, frozen=True):
    """Past ``capacity`` concurrent requests, latency grows: see the README formula."""

    capacity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    slope: Annotated[float, msgspec.Meta(ge=0.0, le=1000.0)] = 1.0


class Quota(_Strict, frozen=True):
    """Requests and tokens per minute per API key (fixed 60 s windows)."""

    requests_per_minute: Annotated[int, msgspec.Meta(ge=1)] | None = None
    tokens_per_minute: Annotated[int, msgspec.Meta(ge=1)] | None = None


class Context(_Strict, frozen=True):
    """Prompt tokens plus ``max_tokens`` above ``max_tokens_total`` get a 400."""

    max_tokens_total: Annotated[int, msgspec.Meta(ge=1)]


class Auth(_Strict, frozen=True):
    """Only these API keys are accepted; any other gets a 401 (a missing key always does)."""

    valid_keys: list[str]


class Sections(_Strict, frozen=True):
    """One scope's faults. Any ``None`` section means "none"."""

    errors: Errors | None = None
    latency: Latency | None = None
    tail: Tail | None = None
    stream: StreamFaults | None = None
    hang: Hang | None = None
    outage: Outage | None = None
    saturation: Saturation | None = None
    quota: Quota | None = None
    context: Context | None = None
    auth: Auth | None = None


class ModelFaults(Sections, frozen=True):
    """Faults for one model; sections left out inherit the top level."""


class FaultConfig(Sections, frozen=True):
    """The whole fault configuration of one fake (the body of ``PUT /_fake/faults``)."""

    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] | None = None
    models: dict[str, ModelFaults] = msgspec.field(default_factory=dict)


def decode_config(raw: bytes | str) -> FaultConfig:
    """Decode JSON into a validated ``FaultConfig`` (raises ``msgspec.ValidationError``)."""
    return msgspec.json.decode(raw, type=FaultConfig)


def decode_latency(raw: bytes | str) -> Latency:
    """Decode JSON into a validated ``Latency`` section (raises ``msgspec.ValidationError``)."""
    return msgspec.json.decode(raw, type=Latency)


def load_config(data: Any) -> FaultConfig:
    """Validate already-parsed data (e.g. from YAML) into a ``FaultConfig``."""
    if data is None:
        return FaultConfig()
    # Through JSON so that YAML's integer keys (``mix: {429: 1}``) read as the strings JSON has.
    return decode_config(msgspec.json.encode(data))
