"""The wire pieces both vendors share: keys, text, decoding, SSE frames, rate-limit headers."""

from __future__ import annotations

import json

import msgspec

from fakes.llm.quota import QuotaStatus
from fakes.llm.wire import (
    Parsed,
    RateLimitHeaders,
    TextPart,
    WireError,
    bearer,
    decode_chat,
    sse,
    text_of,
    token_frames,
)


class _Chat(msgspec.Struct):
    messages: list[str]


def test_bearer_needs_a_token() -> None:
    """Only ``Bearer TOKEN`` with a non-blank token yields a key."""
    assert [bearer(h) for h in (None, "Basic x", "Bearer ", "Bearer  k ")] == [
        None,
        None,
        None,
        "k",
    ]


def test_text_of_joins_text_parts() -> None:
    """Text parts join with newlines; parts without text and missing content are skipped."""
    parts = [TextPart("text", "a"), TextPart("image"), TextPart("text", "b")]
    assert (text_of(parts), text_of("s"), text_of(None)) == ("a\nb", "s", "")


def test_decode_chat_refuses_undecodable_and_empty() -> None:
    """A body that does not decode, or has no messages, is a WireError in the vendor's words."""
    decoder = msgspec.json.Decoder(_Chat)
    bad = decode_chat(decoder, b"{", no_messages="none")
    empty = decode_chat(decoder, b'{"messages": []}', no_messages="none")
    assert isinstance(bad, WireError)
    assert bad.message.startswith("Invalid request body: ")
    assert empty == WireError("none", param="messages")
    assert decode_chat(decoder, b'{"messages": ["x"]}', no_messages="none") == _Chat(["x"])


def test_sse_frames_with_and_without_event() -> None:
    """An event line comes first when named; the data line is compact JSON; a blank line ends."""
    assert sse({"a": 1}) == b'data: {"a":1}\n\n'
    assert sse({"a": 1}, event="ping") == b'event: ping\ndata: {"a":1}\n\n'


def test_token_frames_escape_each_piece() -> None:
    """Spliced token frames equal frames built one by one, even for pieces JSON must escape."""
    pieces = ["plain", ' "quoted"', "new\nline", "é\x00"]
    frames = token_frames(lambda text: sse({"t": text}), pieces)
    assert frames == [sse({"t": p}) for p in pieces]
    assert [json.loads(f[6:])["t"] for f in frames] == pieces


def test_rate_limit_headers_follow_the_pattern() -> None:
    """Each configured limit gives limit, remaining and reset headers, requests first."""
    quota = QuotaStatus(
        requests_limit=5,
        requests_remaining=4,
        tokens_limit=100,
        tokens_remaining=0,
        reset_s=1.0,
        exceeded="tokens",
    )
    assert RateLimitHeaders("x-{field}-{kind}")(quota, "R") == [
        ("x-limit-requests", "5"),
        ("x-remaining-requests", "4"),
        ("x-reset-requests", "R"),
        ("x-limit-tokens", "100"),
        ("x-remaining-tokens", "0"),
        ("x-reset-tokens", "R"),
    ]
    assert quota.usage(quota.exceeded) == (100, 0)


def test_parsed_of_turns() -> None:
    """``role:text`` lines make the prompt; each turn costs its tokens plus 3, plus 3 more."""
    parsed = Parsed.of("m", [("system", "be brief"), ("user", "hi")], max_tokens=7, stream=False)
    assert parsed.prompt == "system:be brief\nuser:hi"
    assert parsed.prompt_tokens == (3 + 3) + (1 + 3) + 3
    assert parsed.requested_tokens == parsed.prompt_tokens + 7
