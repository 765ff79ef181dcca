"""The vendors' wire shapes, checked against the official SDKs' own types (no network)."""

from __future__ import annotations

import json

import anthropic.types
import msgspec
import openai.types.chat
import pydantic

from fakes.llm.anthropic_wire import AnthropicWire
from fakes.llm.openai_wire import OpenAIWire
from fakes.llm.quota import QuotaStatus
from fakes.llm.text import answer
from fakes.llm.wire import Parsed, Problem, WireError

OPENAI_BODY = msgspec.json.encode(
    {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "max_completion_tokens": 5,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
    }
)
ANTHROPIC_BODY = msgspec.json.encode(
    {
        "model": "claude",
        "system": "be brief",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }
)
QUOTA = QuotaStatus(
    requests_limit=10,
    requests_remaining=3,
    tokens_limit=None,
    tokens_remaining=None,
    reset_s=90.0,
    exceeded=None,
)


def _sse_data(frame: bytes) -> str:
    return next(line[6:] for line in frame.decode().split("\n") if line.startswith("data: "))


def test_openai_parse() -> None:
    """A chat request parses with its limit, stream flags and prompt tokens."""
    parsed = OpenAIWire().parse(OPENAI_BODY)
    assert isinstance(parsed, Parsed)
    assert (parsed.max_tokens, parsed.stream, parsed.include_usage) == (5, True, True)
    assert parsed.prompt_tokens == (3 + 3) + (1 + 3) + 3  # "be brief" is be + bri·ef


def test_openai_bad_request() -> None:
    """A body without messages is a WireError."""
    assert isinstance(OpenAIWire().parse(b'{"model": "m"}'), WireError)


def test_openai_completion_is_sdk_valid() -> None:
    """The completion body validates as the SDK's ChatCompletion."""
    wire = OpenAIWire()
    parsed = wire.parse(OPENAI_BODY)
    assert isinstance(parsed, Parsed)
    text = answer(0, parsed.model, parsed.prompt, parsed.max_tokens)
    completion = openai.types.chat.ChatCompletion.model_validate_json(
        wire.complete(parsed, text, "id1")
    )
    assert completion.choices[0].message.content == text.text
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 5


def test_openai_chunks_are_sdk_valid() -> None:
    """Every stream frame but ``[DONE]`` validates as a ChatCompletionChunk."""
    wire = OpenAIWire()
    parsed = wire.parse(OPENAI_BODY)
    assert isinstance(parsed, Parsed)
    frames = wire.frames(parsed, answer(0, parsed.model, parsed.prompt, 5), "id1")
    all_frames = [*frames.head, *frames.tokens, *frames.tail]
    assert all_frames[-1] == b"data: [DONE]\n\n"
    chunks = [
        openai.types.chat.ChatCompletionChunk.model_validate_json(_sse_data(f))
        for f in all_frames[:-1]
    ]
    assert chunks[-1].usage is not None
    assert len(frames.tokens) == 5


def test_openai_malformed_json_is_not_json() -> None:
    """The malformed-JSON frame does not decode."""
    wire = OpenAIWire()
    parsed = wire.parse(OPENAI_BODY)
    assert isinstance(parsed, Parsed)
    data = _sse_data(wire.malformed_json(parsed, "id"))
    try:
        json.loads(data)
    except json.JSONDecodeError:
        return
    raise AssertionError("malformed frame decoded")


def test_openai_error_body() -> None:
    """Errors use OpenAI's ``{"error": {message, type, param, code}}``."""
    body = json.loads(OpenAIWire().error(Problem(429, "error")))
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["code"] == "rate_limit_exceeded"


def test_openai_quota_headers() -> None:
    """Rate-limit headers use OpenAI's names and duration format."""
    headers = dict(OpenAIWire().quota_headers(QUOTA))
    assert headers == {
        "x-ratelimit-limit-requests": "10",
        "x-ratelimit-remaining-requests": "3",
        "x-ratelimit-reset-requests": "1m30s",
    }


def test_anthropic_parse_counts_system() -> None:
    """The system prompt counts as prompt tokens and feeds the answer."""
    parsed = AnthropicWire().parse(ANTHROPIC_BODY)
    assert isinstance(parsed, Parsed)
    assert parsed.prompt_tokens == (3 + 3) + (1 + 3) + 3  # "be brief" is be + bri·ef
    assert parsed.prompt.startswith("system:be brief")


def test_anthropic_requires_max_tokens() -> None:
    """A request without ``max_tokens`` is a WireError."""
    body = b'{"model": "c", "messages": [{"role": "user", "content": "x"}]}'
    assert isinstance(AnthropicWire().parse(body), WireError)


def test_anthropic_message_is_sdk_valid() -> None:
    """The message body validates as the SDK's Message."""
    wire = AnthropicWire()
    parsed = wire.parse(ANTHROPIC_BODY)
    assert isinstance(parsed, Parsed)
    text = answer(0, parsed.model, parsed.prompt, 3)
    message = anthropic.types.Message.model_validate_json(wire.complete(parsed, text, "msg_1"))
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 3


def test_anthropic_events_are_sdk_valid() -> None:
    """Every stream event validates as the SDK's RawMessageStreamEvent, in the vendor's order."""
    wire = AnthropicWire()
    parsed = wire.parse(ANTHROPIC_BODY)
    assert isinstance(parsed, Parsed)
    frames = wire.frames(parsed, answer(0, parsed.model, parsed.prompt, None), "msg_1")
    names = [f.decode().split("\n")[0][7:] for f in [*frames.head, *frames.tokens, *frames.tail]]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    adapter = pydantic.TypeAdapter(anthropic.types.RawMessageStreamEvent)
    for frame in [frames.head[0], frames.head[1], *frames.tokens, *frames.tail]:
        adapter.validate_json(_sse_data(frame))


def test_anthropic_error_bodies() -> None:
    """Errors use ``{"type": "error", "error": {type, message}}``; 529 is overloaded_error."""
    body = json.loads(AnthropicWire().error(Problem(529, "error")))
    assert body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def test_anthropic_quota_headers_reset_is_rfc3339() -> None:
    """Rate-limit headers use Anthropic's names; reset is an RFC 3339 UTC time."""
    headers = dict(AnthropicWire().quota_headers(QUOTA))
    assert headers["anthropic-ratelimit-requests-limit"] == "10"
    assert headers["anthropic-ratelimit-requests-remaining"] == "3"
    assert headers["anthropic-ratelimit-requests-reset"].endswith("Z")
