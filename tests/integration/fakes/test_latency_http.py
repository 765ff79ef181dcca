"""Configured latency reaches the client (lower bounds only: no flaky upper bounds)."""

from __future__ import annotations

import time
from pathlib import Path

import openai
from openai.types.chat import ChatCompletionMessageParam

from lab.servers import FakeLLMServer

MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "slow please"}]


def test_ttft_delays_the_first_token(fake_openai: FakeLLMServer, fake_faults_reset: None) -> None:
    """With a 300 ms time to first token, no content arrives earlier than that."""
    fake_openai.set_faults({"latency": {"ttft": 300}})
    with openai.OpenAI(base_url=fake_openai.base_url, api_key="k", max_retries=0) as client:
        started = time.monotonic()
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        first = next(c for c in stream if c.choices and c.choices[0].delta.content)
        elapsed = time.monotonic() - started
        stream.close()
    assert first.choices[0].delta.content
    assert elapsed >= 0.29


def test_per_token_delay_paces_a_completion(
    fake_openai: FakeLLMServer, fake_faults_reset: None
) -> None:
    """A non-streamed answer of n tokens takes at least (n - 1) per-token delays."""
    fake_openai.set_faults({"latency": {"per_token": 10}})
    with openai.OpenAI(base_url=fake_openai.base_url, api_key="k", max_retries=0) as client:
        started = time.monotonic()
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        elapsed = time.monotonic() - started
    assert completion.usage is not None
    assert elapsed >= 0.0099 * (completion.usage.completion_tokens - 1)


def test_baseline_latency_paces_streams_and_survives_clearing_faults(tmp_path: Path) -> None:
    """A fake started with a baseline (its normal speed) paces a stream's tokens by it, and
    still does after a fault was set and cleared (lower bounds only)."""
    fake = FakeLLMServer("openai", workdir=tmp_path,
                         baseline_latency={"ttft": 100, "per_token": 20}).start()  # fmt: skip
    try:
        with openai.OpenAI(base_url=fake.base_url, api_key="k", max_retries=0) as client:
            for round_ in range(2):
                started = time.monotonic()
                stream = client.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, stream=True
                )
                times = [
                    time.monotonic() for c in stream if c.choices and c.choices[0].delta.content
                ]
                assert times[0] - started >= 0.099, round_
                # tokens keep a fixed schedule: token i never before ttft + i * per_token
                early = [i for i, t in enumerate(times) if t - started < 0.099 + i * 0.0199]
                assert not early, (round_, early)
                fake.set_faults({"errors": {"rate": 0.0}})
                fake.admin.clear()
    finally:
        fake.stop()
