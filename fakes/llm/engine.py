"""The fault engine: from the configuration and one call, decide what the fake does.

Pure logic (no I/O); the clock is injected. Checks run in a fixed order, and only the checks
a configuration enables draw from the seeded RNG, so the same configuration, seed and
sequence of calls give the same decisions:

1. auth (missing key, or a key not in ``auth.valid_keys``) -> 401
   then a model the fake does not serve -> 404 (when the engine has a model list)
2. outage (until cleared or ``duration_s`` after it was set) -> status or reset
3. context length -> 400
4. quota -> 429 with the vendor's rate-limit headers
5. hang (one draw)            6. injected error (one draw, plus one for the mix)
7. stream fault, streams only (one draw, plus one for the mix)
8. latency: time to first token, then per-token delay (one draw each unless fixed),
   times the saturation multiplier. Without a ``latency`` section the engine's
   ``baseline`` latency applies (the provider's normal speed, which faults do not clear),
   and without one either, the engine's ``profile`` (``profiles``: TTFT, rate and a rare
   stall drawn per request; ``instant`` draws nothing)
9. tail (one draw): with ``tail.rate`` the first token comes after a ``tail.ttft`` draw.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import msgspec

from fakes.llm.faults import FaultConfig, Latency, ModelFaults, Outage, Sections
from fakes.llm.latency import draw_ms, saturation_factor
from fakes.llm.profiles import Profile
from fakes.llm.quota import QuotaBook, QuotaStatus

__all__ = ["Call", "Decision", "FaultEngine", "Hang", "Reject", "Reset", "Serve"]

_GLOBAL = "*"
_SECTIONS = tuple(Sections.__struct_fields__)


@dataclass(frozen=True, slots=True)
class Call:
    """What the engine needs to know about one request."""

    model: str
    api_key: str | None
    prompt_tokens: int
    completion_tokens: int
    max_tokens: int | None
    stream: bool


@dataclass(frozen=True, slots=True)
class Reject:
    """Answer with an error status. ``reason`` picks the vendor's error body."""

    status: int
    reason: str  # auth | model | context | quota | error | outage
    fault: str  # metrics label of the injected fault
    retry_after_s: int | None = None
    quota: QuotaStatus | None = None
    limit: int = 0  # context: the limit that was exceeded


@dataclass(frozen=True, slots=True)
class Reset:
    """Close the connection without an answer."""

    fault: str


@dataclass(frozen=True, slots=True)
class Hang:
    """Accept and never answer (until the client leaves or ``max_s`` passes)."""

    max_s: float
    fault: str = "hang"


@dataclass(frozen=True, slots=True)
class Serve:
    """Answer normally after ``ttft_s``, ``per_token_s`` per token; maybe break the stream."""

    ttft_s: float
    per_token_s: float
    stream_fault: str | None = None
    after_tokens: int = 0
    quota: QuotaStatus | None = None
    tokens_per_s: float = 0.0
    """The decode rate drawn by the profile (0: none drawn)."""
    stall_after: int | None = None
    """A pause of ``stall_s`` after this many tokens (the profile's rare stall)."""
    stall_s: float = 0.0
    tail: bool = False
    """The first token was drawn from the ``tail`` fault."""


Decision = Reject | Reset | Hang | Serve


def _chance(rate: float, rng: random.Random) -> bool:
    """True with probability ``rate``; a zero rate draws nothing, so the RNG stays in step."""
    return rate > 0 and rng.random() < rate


def _weighted(mix: Mapping[str, float], rng: random.Random) -> str:
    names = sorted(mix)
    return rng.choices(names, weights=[mix[n] for n in names], k=1)[0]


class FaultEngine:
    """Holds the configuration, the seeded RNG, outage deadlines, quota windows, in-flight count.

    ``models`` are the model names served (any other is a 404); None serves every name.
    ``baseline`` is the latency when the configuration has no ``latency`` section (a reset or
    a cleared configuration keeps it).
    """

    def __init__(
        self,
        config: FaultConfig | None = None,
        *,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
        models: Collection[str] | None = None,
        baseline: Latency | None = None,
        profile: Profile | None = None,
    ) -> None:
        self._clock = clock
        self.baseline = baseline
        self.profile = profile if profile is not None and not profile.instant else None
        self.models = None if models is None else frozenset(models)
        self._default_seed = seed
        self.in_flight = 0
        self._quotas = QuotaBook()
        self.configure(config or FaultConfig())

    @property
    def config(self) -> FaultConfig:
        """The configuration in force (expired outages already removed)."""
        self._expire_outages(self._clock())
        return self._config

    @property
    def seed(self) -> int:
        """The seed of the fault draws."""
        return self._config.seed if self._config.seed is not None else self._default_seed

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration; reseed the RNG, restart outage clocks and quota windows."""
        self._config = config
        self.rng = random.Random(self.seed)
        self._quotas.clear()
        now = self._clock()
        self._scopes: dict[str, Sections] = {}
        self._deadlines: dict[str, float] = {}
        self._index_scopes(now)

    def reset(self) -> None:
        """Clear every fault and all state (same as configuring an empty configuration)."""
        self.configure(FaultConfig())

    def _index_scopes(self, now: float) -> None:
        config = self._config
        for name, scope in ((_GLOBAL, config), *config.models.items()):
            if scope.outage is not None and scope.outage.duration_s is not None:
                self._deadlines[name] = now + scope.outage.duration_s
        for model, overrides in config.models.items():
            self._scopes[model] = _merge(config, overrides)

    def _expire_outages(self, now: float) -> None:
        expired = [name for name, deadline in self._deadlines.items() if now >= deadline]
        if not expired:
            return
        for name in expired:
            del self._deadlines[name]
        config = self._config
        if _GLOBAL in expired:
            config = msgspec.structs.replace(config, outage=None)
        models = {
            name: msgspec.structs.replace(scope, outage=None) if name in expired else scope
            for name, scope in config.models.items()
        }
        self._config = msgspec.structs.replace(config, models=models)
        self._scopes = {m: _merge(self._config, o) for m, o in self._config.models.items()}

    def sections(self, model: str) -> Sections:
        """The sections that apply to ``model``."""
        return self._scopes.get(model, self._config)

    def decide(self, call: Call) -> Decision:
        """Decide the fate of one call (see the module docstring for the order)."""
        now = self._clock()
        if self._deadlines:
            self._expire_outages(now)
        faults = self._scopes.get(call.model, self._config)
        scope = call.model if call.model in self._scopes else _GLOBAL
        rng = self.rng
        if call.api_key is None or (
            faults.auth is not None and call.api_key not in faults.auth.valid_keys
        ):
            return Reject(401, "auth", "auth")
        if self.models is not None and call.model not in self.models:
            return Reject(404, "model", "unknown_model")
        if faults.outage is not None:
            return _outage(faults.outage)
        if faults.context is not None:
            limit = faults.context.max_tokens_total
            if call.prompt_tokens + (call.max_tokens or 0) > limit:
                return Reject(400, "context", "context_length", limit=limit)
        quota_status: QuotaStatus | None = None
        if faults.quota is not None:
            quota_status = self._quotas.admit(
                faults.quota,
                scope=scope,
                key=call.api_key,
                cost=call.prompt_tokens + call.completion_tokens,
                now=now,
            )
            if quota_status.exceeded is not None:
                return Reject(
                    429,
                    "quota",
                    f"quota_{quota_status.exceeded}",
                    retry_after_s=quota_status.retry_after_s,
                    quota=quota_status,
                )
        if faults.hang is not None and _chance(faults.hang.rate, rng):
            return Hang(faults.hang.max_s)
        errors = faults.errors
        if errors is not None and _chance(errors.rate, rng):
            kind = _weighted(errors.mix, rng)
            if kind == "reset":
                return Reset("error_reset")
            return Reject(int(kind), "error", f"error_{kind}", retry_after_s=errors.retry_after_s)
        stream_fault: str | None = None
        after = 0
        stream = faults.stream
        if call.stream and stream is not None and _chance(stream.rate, rng):
            stream_fault = _weighted(stream.mix, rng)
            after = stream.after_tokens
        ttft_ms = per_token_ms = rate = stall_s = 0.0
        stall_after: int | None = None
        latency = faults.latency if faults.latency is not None else self.baseline
        if latency is not None:
            ttft_ms = draw_ms(latency.ttft, rng)
            per_token_ms = draw_ms(latency.per_token, rng)
        elif self.profile is not None:
            drawn = self.profile.draw(rng, call.completion_tokens)
            ttft_ms, rate = drawn.ttft_s * 1000.0, drawn.tokens_per_s
            per_token_ms = 1000.0 / rate if rate > 0 else 0.0
            stall_after, stall_s = drawn.stall_after, drawn.stall_s
        tail = faults.tail is not None and _chance(faults.tail.rate, rng)
        if tail and faults.tail is not None:
            ttft_ms = draw_ms(faults.tail.ttft, rng)
        factor = saturation_factor(faults.saturation, self.in_flight)
        return Serve(
            ttft_ms * factor / 1000.0,
            per_token_ms * factor / 1000.0,
            stream_fault=stream_fault,
            after_tokens=after,
            quota=quota_status,
            tokens_per_s=rate,
            stall_after=stall_after,
            stall_s=stall_s,
            tail=tail,
        )


def _outage(outage: Outage) -> Decision:
    if outage.mode == "reset":
        return Reset("outage_reset")
    return Reject(outage.status, "outage", "outage", retry_after_s=outage.retry_after_s)


def _merge(top: Sections, overrides: ModelFaults) -> Sections:
    values = {
        name: getattr(overrides, name)
        if getattr(overrides, name) is not None
        else getattr(top, name)
        for name in _SECTIONS
    }
    return Sections(**values)
