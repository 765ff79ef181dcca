"""The fault engine's decisions, with an injected clock and no network."""

from __future__ import annotations

import pytest

from fakes.llm.engine import Call, FaultEngine, Hang, Reject, Reset, Serve
from fakes.llm.faults import decode_config


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def call(
    *, model: str = "m", key: str | None = "k", stream: bool = False, prompt: int = 10
) -> Call:
    """A call with small defaults."""
    return Call(
        model=model,
        api_key=key,
        prompt_tokens=prompt,
        completion_tokens=20,
        max_tokens=50,
        stream=stream,
    )


def engine(raw: str, *, seed: int = 0, clock: Clock | None = None) -> FaultEngine:
    """An engine configured from JSON."""
    return FaultEngine(decode_config(raw), seed=seed, clock=clock or Clock())


def test_no_faults_serves_instantly() -> None:
    """Without faults every call is served with zero delays."""
    decision = FaultEngine().decide(call())
    assert decision == Serve(0.0, 0.0)


def test_missing_key_is_refused_first() -> None:
    """A call without a key gets 401 even during an outage."""
    decision = engine('{"outage": {}}').decide(call(key=None))
    assert isinstance(decision, Reject)
    assert decision.status == 401


def test_outage_by_status_and_by_reset() -> None:
    """An outage answers its status, or resets the connection in reset mode."""
    status = engine('{"outage": {"status": 502}}').decide(call())
    assert isinstance(status, Reject)
    assert status.status == 502
    assert isinstance(engine('{"outage": {"mode": "reset"}}').decide(call()), Reset)


def test_outage_duration_expires() -> None:
    """An outage with ``duration_s`` ends after it and disappears from the config."""
    clock = Clock()
    fe = engine('{"outage": {"duration_s": 5}}', clock=clock)
    assert isinstance(fe.decide(call()), Reject)
    clock.now += 5.0
    assert isinstance(fe.decide(call()), Serve)
    assert fe.config.outage is None


def test_context_length() -> None:
    """Prompt plus max_tokens above the limit is a 400 naming the limit."""
    decision = engine('{"context": {"max_tokens_total": 55}}').decide(call(prompt=10))
    assert isinstance(decision, Reject)
    assert (decision.status, decision.reason, decision.limit) == (400, "context", 55)


def test_invalid_key() -> None:
    """A key outside valid_keys is refused with 401."""
    fe = engine('{"auth": {"valid_keys": ["good"]}}')
    assert isinstance(fe.decide(call(key="bad")), Reject)
    assert isinstance(fe.decide(call(key="good")), Serve)


def test_quota_rejects_with_retry_after() -> None:
    """Past the quota the call gets 429 with a retry-after and quota status."""
    fe = engine('{"quota": {"requests_per_minute": 1}}')
    assert isinstance(fe.decide(call()), Serve)
    refused = fe.decide(call())
    assert isinstance(refused, Reject)
    assert refused.status == 429
    assert refused.retry_after_s == 60
    assert refused.fault == "quota_requests"


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "529"])
def test_error_mix(kind: str) -> None:
    """A rate-1 error section answers the status in its mix, with retry-after."""
    decision = engine(
        f'{{"errors": {{"rate": 1, "mix": {{"{kind}": 1}}, "retry_after_s": 3}}}}'
    ).decide(call())
    assert isinstance(decision, Reject)
    assert decision.status == int(kind)
    assert decision.retry_after_s == 3


def test_error_rate_is_a_probability() -> None:
    """About ``rate`` of the calls fail (0.3 of 2000, within a wide margin)."""
    fe = engine('{"errors": {"rate": 0.3}}', seed=5)
    failed = sum(isinstance(fe.decide(call()), Reject) for _ in range(2000))
    assert 450 < failed < 750


def test_hang() -> None:
    """A rate-1 hang section hangs every call up to max_s."""
    assert engine('{"hang": {"rate": 1, "max_s": 9}}').decide(call()) == Hang(9.0)


def test_stream_faults_only_touch_streams() -> None:
    """Stream faults apply to streaming calls and leave the others alone."""
    fe = engine('{"stream": {"rate": 1, "mix": {"hang": 1}, "after_tokens": 4}}')
    assert fe.decide(call()) == Serve(0.0, 0.0)
    decision = fe.decide(call(stream=True))
    assert isinstance(decision, Serve)
    assert (decision.stream_fault, decision.after_tokens) == ("hang", 4)


def test_model_scope_overrides_sections() -> None:
    """A model's section replaces the top-level one; other sections are inherited."""
    fe = engine(
        '{"latency": {"ttft": 100}, "hang": {"rate": 1},'
        ' "models": {"fast": {"latency": {"ttft": {"dist": "fixed", "ms": 1}}}}}'
    )
    assert isinstance(fe.decide(call(model="other")), Hang)
    assert isinstance(fe.decide(call(model="fast")), Hang)
    fe = engine(
        '{"latency": {"ttft": 100},'
        ' "models": {"fast": {"latency": {"ttft": {"dist": "fixed", "ms": 1}}}}}'
    )
    assert fe.decide(call(model="fast")) == Serve(0.001, 0.0)
    assert fe.decide(call(model="slow")) == Serve(0.1, 0.0)


def test_saturation_scales_latency() -> None:
    """Past capacity, delays grow by 1 + slope * excess / capacity."""
    fe = engine(
        '{"latency": {"ttft": 100, "per_token": {"dist": "fixed", "ms": 10}},'
        ' "saturation": {"capacity": 2, "slope": 1}}'
    )
    fe.in_flight = 4
    decision = fe.decide(call())
    assert isinstance(decision, Serve)
    assert decision.ttft_s == pytest.approx(0.2)
    assert decision.per_token_s == pytest.approx(0.02)


def test_same_seed_same_decisions() -> None:
    """Two engines with one seed decide the same sequence identically."""
    raw = (
        '{"errors": {"rate": 0.2, "mix": {"429": 1, "503": 1, "reset": 1}}, "hang": {"rate": 0.05},'
        ' "stream": {"rate": 0.3, "mix": {"close": 1, "malformed_sse": 1}},'
        ' "latency": {"ttft": {"dist": "lognormal", "median_ms": 50, "sigma": 1}}}'
    )
    a, b = engine(raw, seed=11), engine(raw, seed=11)
    calls = [call(stream=i % 2 == 0) for i in range(300)]
    assert [a.decide(c) for c in calls] == [b.decide(c) for c in calls]


def test_config_seed_overrides_process_seed() -> None:
    """A ``seed`` in the configuration reseeds the draws."""
    raw = '{"seed": 4, "errors": {"rate": 0.5}}'
    a, b = engine(raw, seed=1), engine(raw, seed=2)
    assert [a.decide(call()) for _ in range(50)] == [b.decide(call()) for _ in range(50)]


def test_reset_clears_everything() -> None:
    """``reset`` removes every fault."""
    fe = engine('{"outage": {}}')
    fe.reset()
    assert isinstance(fe.decide(call()), Serve)


def test_unknown_model_is_404_after_auth() -> None:
    """With a model list, another model is a 404 'model' rejection, but a missing key wins."""
    engine = FaultEngine(None, models=["a", "b"])
    assert isinstance(engine.decide(call(model="a")), Serve)
    assert engine.decide(call(model="x")) == Reject(404, "model", "unknown_model")
    assert engine.decide(call(model="x", key=None)) == Reject(401, "auth", "auth")


def test_unknown_model_wins_over_faults() -> None:
    """A model the fake does not serve is a 404 even during an outage."""
    engine = FaultEngine(decode_config(b'{"outage": {}}'), models=["a"])
    assert engine.decide(call(model="x")).status == 404  # type: ignore[union-attr]


def test_no_model_list_serves_any_name() -> None:
    """Without a model list every name is served."""
    assert isinstance(FaultEngine(None).decide(call(model="anything")), Serve)


def test_baseline_latency_applies_without_a_latency_section_and_survives_a_reset() -> None:
    """The baseline is the fake's normal speed: used when no latency is configured, replaced
    by a configured latency, back after the configuration is cleared."""
    from fakes.llm.faults import decode_latency

    fe = FaultEngine(seed=1, baseline=decode_latency('{"ttft": 150, "per_token": 12}'))
    assert fe.decide(call()) == Serve(0.15, 0.012)
    fe.configure(decode_config('{"latency": {"ttft": 1000}}'))
    assert fe.decide(call()) == Serve(1.0, 0.0)
    fe.configure(decode_config('{"errors": {"rate": 0.0}}'))
    assert fe.decide(call()) == Serve(0.15, 0.012)
    fe.reset()
    assert fe.decide(call()) == Serve(0.15, 0.012)
    assert FaultEngine(seed=1).decide(call()) == Serve(0.0, 0.0)
