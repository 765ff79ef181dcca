"""Provider profiles: the seeded latency model draws what the profile states, the same seed
draws the same values, ``instant`` draws nothing, and the engine uses the profile only when
no latency fault or baseline is set."""

from __future__ import annotations

import random
from statistics import median

import pytest

from fakes.llm.engine import Call, FaultEngine, Serve
from fakes.llm.faults import decode_config
from fakes.llm.profiles import PROFILES, profile_named, stated
from fakes.llm.text import answer

SMALL = PROFILES["small-hosted"]
DRAWS = 20_000


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def _call(tokens: int = 40, *, stream: bool = True) -> Call:
    return Call(
        model="m",
        api_key="k",
        prompt_tokens=5,
        completion_tokens=tokens,
        max_tokens=None,
        stream=stream,
    )


@pytest.mark.parametrize("name", sorted(set(PROFILES) - {"instant"}))
def test_draws_match_the_stated_ttft_and_rate(name: str) -> None:
    """TTFT p50/p95/p99 and the median rate of many draws are the profile's stated ones."""
    profile = PROFILES[name]
    rng = random.Random(1)
    draws = [profile.draw(rng, 40) for _ in range(DRAWS)]
    ttfts = [d.ttft_s for d in draws]
    figures = stated(profile)
    for q, key in ((0.5, "ttft_p50_s"), (0.95, "ttft_p95_s"), (0.99, "ttft_p99_s")):
        assert _quantile(ttfts, q) == pytest.approx(figures[key], rel=0.08)
    assert median(d.tokens_per_s for d in draws) == pytest.approx(profile.tokens_per_s, rel=0.03)
    stalls = sum(1 for d in draws if d.stall_after is not None) / DRAWS
    assert stalls == pytest.approx(profile.stall_rate, abs=0.004)


def test_lengths_follow_the_profile_and_the_prompt() -> None:
    """Answer lengths have the profile's median; the same prompt keeps the same length."""
    lengths = [answer(0, "m", f"prompt {n}", None, None, SMALL).tokens for n in range(2_000)]
    assert median(lengths) == pytest.approx(SMALL.length_median, rel=0.1)
    assert min(lengths) >= SMALL.length_min
    assert max(lengths) <= SMALL.length_max
    again = answer(0, "m", "prompt 7", None, None, SMALL)
    assert again.tokens == lengths[7]
    assert answer(0, "m", "prompt 7", None).tokens in range(8, 65)  # instant: natural length


def test_instant_draws_nothing_and_keeps_old_decisions() -> None:
    """An instant profile serves at once and leaves the RNG as without a profile."""
    plain = FaultEngine(decode_config('{"errors": {"rate": 0.5}}'), seed=3)
    instant = FaultEngine(
        decode_config('{"errors": {"rate": 0.5}}'), seed=3, profile=profile_named("instant")
    )
    for _ in range(50):
        assert plain.decide(_call()) == instant.decide(_call())


def test_engine_draws_from_the_profile_and_is_seeded() -> None:
    """Served calls carry the drawn TTFT and rate; the same seed gives the same values."""
    first = FaultEngine(seed=5, profile=SMALL)
    second = FaultEngine(seed=5, profile=SMALL)
    decisions = [first.decide(_call()) for _ in range(20)]
    assert decisions == [second.decide(_call()) for _ in range(20)]
    served = [d for d in decisions if isinstance(d, Serve)]
    assert all(d.ttft_s > 0 and d.tokens_per_s > 0 for d in served)
    assert all(d.per_token_s == pytest.approx(1 / d.tokens_per_s) for d in served)


def test_a_latency_fault_replaces_the_profile_speed() -> None:
    """A latency section (a fault) wins over the profile's TTFT and rate."""
    engine = FaultEngine(decode_config('{"latency": {"ttft": 40}}'), profile=SMALL)
    decision = engine.decide(_call())
    assert isinstance(decision, Serve)
    assert (decision.ttft_s, decision.tokens_per_s) == (0.04, 0.0)


def test_tail_fault_gives_a_share_of_requests_a_slow_first_token() -> None:
    """With tail.rate, that share of answers gets its first token from tail.ttft."""
    engine = FaultEngine(
        decode_config('{"tail": {"rate": 0.25, "ttft": 6000}}'), seed=1, profile=SMALL
    )
    decisions = [engine.decide(_call()) for _ in range(2_000)]
    tails = [d for d in decisions if isinstance(d, Serve) and d.tail]
    assert len(tails) / len(decisions) == pytest.approx(0.25, abs=0.03)
    assert {d.ttft_s for d in tails} == {6.0}


def test_unknown_profile_names_the_choices() -> None:
    """An unknown name is refused with the list of profiles."""
    with pytest.raises(ValueError, match="small-hosted"):
        profile_named("fast")
