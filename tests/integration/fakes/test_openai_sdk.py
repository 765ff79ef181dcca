"""The official ``openai`` SDK against the fake OpenAI: answers parse, faults raise its errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from lab.servers import FakeLLMServer
from tests.integration.fakes.sdk import sdk_client

MODEL = "gpt-4o-mini"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Tell me about chaos."}]


@pytest.fixture
def client(fake_openai: FakeLLMServer) -> Iterator[openai.OpenAI]:
    """A sync client without retries."""
    with sdk_client(openai.OpenAI, fake_openai, api_key="sk-test") as c:
        yield c


@pytest.fixture
def faults(fake_openai: FakeLLMServer, fake_faults_reset: None) -> FakeLLMServer:
    """The fake OpenAI, reset after the test."""
    return fake_openai


def test_completion_parses(client: openai.OpenAI) -> None:
    """A non-streaming answer parses into a ChatCompletion with consistent usage."""
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    choice = completion.choices[0]
    assert choice.message.content
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == len(choice.message.content.split())
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_max_tokens_truncates(client: openai.OpenAI) -> None:
    """``max_tokens`` bounds the answer and the finish reason says ``length``."""
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=3)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 3


def test_different_prompts_differ(client: openai.OpenAI) -> None:
    """Different prompts get different answers."""
    a = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "a"}])
    b = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "b"}])
    assert a.choices[0].message.content != b.choices[0].message.content


def test_stream_matches_completion(client: openai.OpenAI) -> None:
    """A stream's deltas join into the non-streamed answer; usage comes in the last chunk."""
    full = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    stream = client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == full.choices[0].message.content
    assert chunks[-1].usage is not None
    assert full.usage is not None
    assert chunks[-1].usage.completion_tokens == full.usage.completion_tokens


async def test_async_completion_and_stream(fake_openai: FakeLLMServer) -> None:
    """The async client parses answers and streams."""
    async with sdk_client(openai.AsyncOpenAI, fake_openai, api_key="sk-test") as client:
        full = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == full.choices[0].message.content


def test_models_list(client: openai.OpenAI) -> None:
    """``GET /v1/models`` parses into a page of models."""
    assert MODEL in [m.id for m in client.models.list()]


def test_rate_limit_carries_retry_after(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """An injected 429 raises RateLimitError with the configured retry-after."""
    faults.set_faults({"errors": {"rate": 1.0, "mix": {"429": 1}, "retry_after_s": 7}})
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert caught.value.response.headers["retry-after"] == "7"


@pytest.mark.parametrize("status", ["500", "502", "503", "504", "529"])
def test_server_errors(client: openai.OpenAI, faults: FakeLLMServer, status: str) -> None:
    """Injected 5xx errors raise InternalServerError with that status."""
    faults.set_faults({"errors": {"rate": 1.0, "mix": {status: 1}}})
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert caught.value.status_code == int(status)


def test_hang_times_out(fake_openai: FakeLLMServer, faults: FakeLLMServer) -> None:
    """A hung request raises APITimeoutError at the client's timeout."""
    faults.set_faults({"hang": {"rate": 1.0}})
    with (
        sdk_client(openai.OpenAI, fake_openai, timeout=0.5) as client,
        pytest.raises(openai.APITimeoutError),
    ):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)


def test_reset_is_connection_error(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """An injected connection reset raises APIConnectionError."""
    faults.set_faults({"errors": {"rate": 1.0, "mix": {"reset": 1}}})
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)


def test_outage_by_reset_on_stream(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """An outage in reset mode fails a streaming request with APIConnectionError."""
    faults.set_faults({"outage": {"mode": "reset"}})
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)


def test_outage_by_status(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """An outage in status mode answers its status to every request."""
    faults.set_faults({"outage": {"status": 503}})
    for _ in range(3):
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model=MODEL, messages=MESSAGES)


def _stream_text(client: openai.OpenAI) -> str:
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_stream_cut_raises_from_iterator(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """A stream closed mid-way raises APIConnectionError from the iterator."""
    faults.set_faults({"stream": {"rate": 1.0, "mix": {"close": 1}, "after_tokens": 2}})
    with pytest.raises(openai.APIConnectionError):
        _stream_text(client)


@pytest.mark.parametrize("kind", ["malformed_json", "malformed_sse"])
def test_malformed_stream_raises(client: openai.OpenAI, faults: FakeLLMServer, kind: str) -> None:
    """Malformed JSON or SSE framing mid-stream raises a JSON decode error from the iterator."""
    faults.set_faults({"stream": {"rate": 1.0, "mix": {kind: 1}, "after_tokens": 1}})
    with pytest.raises(json.JSONDecodeError):
        _stream_text(client)


def test_stream_error_event_raises(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """A mid-stream error object raises APIError from the iterator."""
    faults.set_faults({"stream": {"rate": 1.0, "mix": {"error_event": 1}}})
    with pytest.raises(openai.APIError):
        _stream_text(client)


def test_stream_hang_times_out(fake_openai: FakeLLMServer, faults: FakeLLMServer) -> None:
    """A stream that stops after N tokens and hangs raises APITimeoutError from the iterator."""
    faults.set_faults({"stream": {"rate": 1.0, "mix": {"hang": 1}, "after_tokens": 2}})
    with (
        sdk_client(openai.OpenAI, fake_openai, timeout=0.5) as client,
        pytest.raises(openai.APITimeoutError),
    ):
        _stream_text(client)


def test_context_length(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """A prompt over the context window raises BadRequestError with code context_length_exceeded."""
    faults.set_faults({"context": {"max_tokens_total": 10}})
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=50)
    assert caught.value.code == "context_length_exceeded"


def test_invalid_key(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """A key outside ``auth.valid_keys`` raises AuthenticationError."""
    faults.set_faults({"auth": {"valid_keys": ["sk-good"]}})
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert caught.value.code == "invalid_api_key"


def test_quota_headers(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """Past the requests-per-minute quota a 429 carries x-ratelimit-* and retry-after."""
    faults.set_faults({"quota": {"requests_per_minute": 2, "tokens_per_minute": 100000}})
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.headers["x-ratelimit-limit-requests"] == "2"
    assert raw.headers["x-ratelimit-remaining-requests"] == "1"
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    headers = caught.value.response.headers
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert 1 <= int(headers["retry-after"]) <= 60


def test_model_scoping(client: openai.OpenAI, faults: FakeLLMServer) -> None:
    """Faults scoped to one model leave other models alone."""
    faults.set_faults({"models": {"gpt-4o": {"outage": {"status": 500}}}})
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)


async def test_async_errors(fake_openai: FakeLLMServer, faults: FakeLLMServer) -> None:
    """The async client raises the same classes: RateLimitError, then APIConnectionError."""
    async with sdk_client(openai.AsyncOpenAI, fake_openai) as client:
        faults.set_faults({"errors": {"rate": 1.0, "mix": {"429": 1}}})
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        faults.set_faults({"stream": {"rate": 1.0, "mix": {"close": 1}}})
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        with pytest.raises(openai.APIConnectionError):
            async for _ in stream:
                pass
