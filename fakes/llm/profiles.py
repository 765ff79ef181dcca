"""Provider profiles: a fake's normal speed as a seeded latency model.

A profile says how a hosted model answers when nothing is wrong: the time to first token
(lognormal, given by its p50 and p99, capped), the decode rate (lognormal around a median,
one draw per request), the answer's length (lognormal around a median, clipped, drawn from
the prompt's hash so the same prompt keeps the same answer) and rare mid-stream stalls.
``instant`` answers at once with the text's natural 8..64 tokens (benchmarks, unit tests).
Figures and their public sources: ``fakes/llm/README.md`` (Profiles) and docs/phases.md.

Draws come from the fault engine's seeded RNG, after the fault draws, and only when the
profile is not ``instant``: the same seed, profile and calls give the same values.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import Annotated

import msgspec

__all__ = ["DEFAULT_PROFILE", "PROFILES", "Drawn", "Profile", "profile_named", "stated"]

_Z99 = NormalDist().inv_cdf(0.99)
_Z95 = NormalDist().inv_cdf(0.95)
_Positive = Annotated[float, msgspec.Meta(ge=0.0)]


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """One provider profile (milliseconds, tokens, tokens per second, probabilities)."""

    ttft_p50_ms: _Positive = 0.0
    ttft_p99_ms: _Positive = 0.0
    ttft_max_ms: _Positive = 10_000.0
    """Draws above this are cut to it (a first token never later than this)."""
    tokens_per_s: _Positive = 0.0
    """Median decode rate; 0 sends every token at once."""
    rate_sigma: _Positive = 0.0
    """Spread of the per-request rate (sigma of its logarithm)."""
    length_median: int = 0
    """Median answer length in tokens; 0 keeps the text's natural 8..64."""
    length_sigma: _Positive = 0.0
    length_min: int = 8
    length_max: int = 160
    stall_rate: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.0
    """Share of answers with one mid-stream pause."""
    stall_ms: _Positive = 0.0

    @property
    def instant(self) -> bool:
        return self.ttft_p50_ms == 0 and self.tokens_per_s == 0 and self.stall_rate == 0

    @property
    def ttft_sigma(self) -> float:
        if self.ttft_p50_ms <= 0 or self.ttft_p99_ms <= self.ttft_p50_ms:
            return 0.0
        return math.log(self.ttft_p99_ms / self.ttft_p50_ms) / _Z99

    def ttft_quantile_ms(self, q: float) -> float:
        """The stated TTFT at quantile ``q`` (before the cap)."""
        if self.ttft_p50_ms <= 0:
            return 0.0
        return self.ttft_p50_ms * math.exp(self.ttft_sigma * NormalDist().inv_cdf(q))

    def length_at(self, u: float) -> int | None:
        """The answer length at quantile ``u`` (0 < u < 1); None keeps the natural one."""
        if self.length_median <= 0:
            return None
        z = NormalDist().inv_cdf(min(max(u, 1e-9), 1 - 1e-9))
        value = round(self.length_median * math.exp(self.length_sigma * z))
        return min(self.length_max, max(self.length_min, value))

    def draw(self, rng: random.Random, tokens: int) -> Drawn:
        """One request's values; ``tokens`` is its answer length (for the stall's place)."""
        ttft_ms = 0.0
        if self.ttft_p50_ms > 0:
            ttft_ms = min(
                self.ttft_max_ms, rng.lognormvariate(math.log(self.ttft_p50_ms), self.ttft_sigma)
            )
        rate = 0.0
        if self.tokens_per_s > 0:
            rate = rng.lognormvariate(math.log(self.tokens_per_s), self.rate_sigma)
        stall_after, stall_s = None, 0.0
        if self.stall_rate > 0 and rng.random() < self.stall_rate and tokens > 1:
            stall_after = rng.randint(1, tokens - 1)
            stall_s = self.stall_ms / 1000.0
        return Drawn(ttft_ms / 1000.0, rate, stall_after, stall_s)


@dataclass(frozen=True, slots=True)
class Drawn:
    """What a profile drew for one request."""

    ttft_s: float
    tokens_per_s: float
    """0 when every token goes at once."""
    stall_after: int | None
    """Tokens sent before the pause, None without one."""
    stall_s: float


PROFILES: dict[str, Profile] = {
    "instant": Profile(),
    "small-hosted": Profile(
        ttft_p50_ms=500.0,
        ttft_p99_ms=2_000.0,
        tokens_per_s=60.0,
        rate_sigma=0.15,
        length_median=40,
        length_sigma=0.5,
        stall_rate=0.005,
        stall_ms=1_500.0,
    ),
    "small-hosted-b": Profile(
        ttft_p50_ms=600.0,
        ttft_p99_ms=2_000.0,
        tokens_per_s=50.0,
        rate_sigma=0.15,
        length_median=40,
        length_sigma=0.5,
        stall_rate=0.005,
        stall_ms=1_500.0,
    ),
    "large-hosted": Profile(
        ttft_p50_ms=900.0,
        ttft_p99_ms=4_000.0,
        tokens_per_s=30.0,
        rate_sigma=0.2,
        length_median=120,
        length_sigma=0.6,
        length_max=600,
        stall_rate=0.01,
        stall_ms=3_000.0,
    ),
}
"""Named profiles; the README's Profiles table states each one's figures and sources."""

DEFAULT_PROFILE = "instant"
"""A fake started by hand answers at once; the lab picks a realistic one per provider."""


def profile_named(name: str) -> Profile:
    """The profile called ``name``; ``ValueError`` naming the choices otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown profile {name!r}: choose one of {choices}") from None


def stated(profile: Profile) -> dict[str, float]:
    """The figures docs state: TTFT p50/p95/p99 (s), rate (tokens/s), median length."""
    return {
        "ttft_p50_s": profile.ttft_quantile_ms(0.5) / 1000,
        "ttft_p95_s": profile.ttft_p50_ms * math.exp(profile.ttft_sigma * _Z95) / 1000,
        "ttft_p99_s": profile.ttft_quantile_ms(0.99) / 1000,
        "tokens_per_s": profile.tokens_per_s,
        "length_median": float(profile.length_median),
    }
