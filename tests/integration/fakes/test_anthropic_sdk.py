"""The official ``anthropic`` SDK against the fake Anthropic: answers parse, faults raise."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence

import anthropic
import httpx2
import pytest
from anthropic.types import MessageParam

from lab.servers import FakeLLMServer
from tests.integration.fakes.sdk import sdk_client

MODEL = "claude-3-5-haiku-latest"
MESSAGES: list[MessageParam] = [{"role": "user", "content": "Tell me about chaos."}]


@pytest.fixture
def client(fake_anthropic: FakeLLMServer) -> Iterator[anthropic.Anthropic]:
    """A sync client without retries."""
    with sdk_client(anthropic.Anthropic, fake_anthropic, api_key="sk-ant-test") as c:
        yield c


@pytest.fixture
def faults(fake_anthropic: FakeLLMServer, fake_faults_reset: None) -> FakeLLMServer:
    """The fake Anthropic, reset after the test."""
    return fake_anthropic


def _create(client: anthropic.Anthropic, *, max_tokens: int = 256) -> anthropic.types.Message:
    return client.messages.create(model=MODEL, max_tokens=max_tokens, messages=MESSAGES)


def _text_of(content: Sequence[object]) -> str:
    block = content[0]
    assert isinstance(block, anthropic.types.TextBlock)
    return block.text


def _error_type(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    assert isinstance(body, dict)
    kind: str = body["error"]["type"]
    return kind


def _stream_text(client: anthropic.Anthropic) -> str:
    stream = client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES, stream=True)
    return "".join(
        e.delta.text
        for e in stream
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )


def test_message_parses(client: anthropic.Anthropic) -> None:
    """A non-streaming answer parses into a Message with consistent usage."""
    message = _create(client)
    block = message.content[0]
    assert block.type == "text"
    assert block.text
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == len(block.text.split())


def test_max_tokens_truncates(client: anthropic.Anthropic) -> None:
    """``max_tokens`` bounds the answer and the stop reason says ``max_tokens``."""
    message = _create(client, max_tokens=4)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 4


def test_stream_matches_message(client: anthropic.Anthropic) -> None:
    """The streamed deltas join into the non-streamed answer."""
    block = _create(client).content[0]
    assert block.type == "text"
    assert _stream_text(client) == block.text


def test_stream_helper_final_message(client: anthropic.Anthropic) -> None:
    """The SDK's ``messages.stream`` helper assembles the final message and usage."""
    with client.messages.stream(model=MODEL, max_tokens=256, messages=MESSAGES) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == len(_text_of(final.content).split())


async def test_async_message_and_stream(fake_anthropic: FakeLLMServer) -> None:
    """The async client parses answers and streams."""
    async with sdk_client(anthropic.AsyncAnthropic, fake_anthropic) as client:
        message = await client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
        stream = await client.messages.create(
            model=MODEL,
            max_tokens=256,
            messages=MESSAGES,
            stream=True,
        )
        text = "".join(
            [
                e.delta.text
                async for e in stream
                if e.type == "content_block_delta" and e.delta.type == "text_delta"
            ]
        )
    assert text == _text_of(message.content)


def test_models_list(client: anthropic.Anthropic) -> None:
    """``GET /v1/models`` parses into a page of models."""
    assert MODEL in [m.id for m in client.models.list()]


def test_rate_limit_carries_retry_after(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """An injected 429 raises RateLimitError with the configured retry-after."""
    faults.set_faults({"errors": {"rate": 1.0, "mix": {"429": 1}, "retry_after_s": 9}})
    with pytest.raises(anthropic.RateLimitError) as caught:
        _create(client)
    assert caught.value.response.headers["retry-after"] == "9"
    assert _error_type(caught.value) == "rate_limit_error"


def test_overloaded_529(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """An injected 529 raises OverloadedError (an InternalServerError) with overloaded_error."""
    faults.set_faults({"errors": {"rate": 1.0, "mix": {"529": 1}}})
    with pytest.raises(anthropic.OverloadedError) as caught:
        _create(client)
    assert isinstance(caught.value, anthropic.InternalServerError)
    assert _error_type(caught.value) == "overloaded_error"


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_server_errors(client: anthropic.Anthropic, faults: FakeLLMServer, status: str) -> None:
    """Injected 500/502/503 raise InternalServerError with that status."""
    faults.set_faults({"errors": {"rate": 1.0, "mix": {status: 1}}})
    with pytest.raises(anthropic.InternalServerError) as caught:
        _create(client)
    assert caught.value.status_code == int(status)


def test_hang_times_out(fake_anthropic: FakeLLMServer, faults: FakeLLMServer) -> None:
    """A hung request raises APITimeoutError at the client's timeout."""
    faults.set_faults({"hang": {"rate": 1.0}})
    with (
        sdk_client(anthropic.Anthropic, fake_anthropic, timeout=0.5) as client,
        pytest.raises(anthropic.APITimeoutError),
    ):
        _create(client)


def test_reset_is_connection_error(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """An outage by connection reset raises APIConnectionError, streaming or not."""
    faults.set_faults({"outage": {"mode": "reset"}})
    with pytest.raises(anthropic.APIConnectionError):
        _create(client)
    with pytest.raises(anthropic.APIConnectionError):
        _stream_text(client)


def test_scheduled_outage_clears(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """An outage with ``duration_s`` ends by itself and GET shows it gone."""
    faults.set_faults({"outage": {"status": 529, "duration_s": 0.3}})
    with pytest.raises(anthropic.OverloadedError):
        _create(client)
    time.sleep(0.5)
    assert _create(client).content
    assert "outage" not in faults.get_faults()


def test_stream_cut_raises_from_iterator(
    client: anthropic.Anthropic, faults: FakeLLMServer
) -> None:
    """A stream closed mid-way raises the transport's RemoteProtocolError from the iterator.

    (This anthropic SDK wraps transport errors only before the response starts.)
    """
    faults.set_faults({"stream": {"rate": 1.0, "mix": {"close": 1}, "after_tokens": 2}})
    with pytest.raises(httpx2.RemoteProtocolError):
        _stream_text(client)


@pytest.mark.parametrize("kind", ["malformed_json", "malformed_sse"])
def test_malformed_stream_raises(
    client: anthropic.Anthropic, faults: FakeLLMServer, kind: str
) -> None:
    """Malformed JSON or SSE framing mid-stream raises a JSON decode error from the iterator."""
    faults.set_faults({"stream": {"rate": 1.0, "mix": {kind: 1}, "after_tokens": 1}})
    with pytest.raises(json.JSONDecodeError):
        _stream_text(client)


def test_stream_error_event_raises(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """A mid-stream ``error`` event raises APIStatusError carrying ``overloaded_error``."""
    faults.set_faults({"stream": {"rate": 1.0, "mix": {"error_event": 1}, "after_tokens": 2}})
    with pytest.raises(anthropic.APIStatusError) as caught:
        _stream_text(client)
    assert _error_type(caught.value) == "overloaded_error"


def test_context_length(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """A prompt over the context window raises BadRequestError (invalid_request_error)."""
    faults.set_faults({"context": {"max_tokens_total": 100}})
    with pytest.raises(anthropic.BadRequestError) as caught:
        _create(client, max_tokens=200)
    assert "prompt is too long" in caught.value.message


def test_invalid_key(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """A key outside ``auth.valid_keys`` raises AuthenticationError."""
    faults.set_faults({"auth": {"valid_keys": ["sk-ant-good"]}})
    with pytest.raises(anthropic.AuthenticationError):
        _create(client)


def test_quota_headers(client: anthropic.Anthropic, faults: FakeLLMServer) -> None:
    """Past the tokens-per-minute quota a 429 carries anthropic-ratelimit-* and retry-after."""
    first = client.messages.with_raw_response.create(
        model=MODEL,
        max_tokens=256,
        messages=MESSAGES,
    )
    cost = first.parse().usage.input_tokens + first.parse().usage.output_tokens
    faults.set_faults({"quota": {"tokens_per_minute": cost + 1}})
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert raw.headers["anthropic-ratelimit-tokens-limit"] == str(cost + 1)
    assert raw.headers["anthropic-ratelimit-tokens-remaining"] == "1"
    assert raw.headers["anthropic-ratelimit-tokens-reset"].endswith("Z")
    with pytest.raises(anthropic.RateLimitError) as caught:
        _create(client)
    assert int(caught.value.response.headers["retry-after"]) >= 1


async def test_async_errors(fake_anthropic: FakeLLMServer, faults: FakeLLMServer) -> None:
    """Async: OverloadedError, then a read timeout from the iterator of a stream that hangs."""
    async with sdk_client(anthropic.AsyncAnthropic, fake_anthropic, timeout=0.5) as client:
        faults.set_faults({"errors": {"rate": 1.0, "mix": {"529": 1}}})
        with pytest.raises(anthropic.OverloadedError):
            await client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
        faults.set_faults({"stream": {"rate": 1.0, "mix": {"hang": 1}}})
        stream = await client.messages.create(
            model=MODEL,
            max_tokens=64,
            messages=MESSAGES,
            stream=True,
        )
        with pytest.raises(httpx2.ReadTimeout):
            async for _ in stream:
                pass
