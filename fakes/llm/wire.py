"""What a vendor's wire format must provide to the fake's app, and the pieces both vendors share.

The app owns timing, faults and I/O; a ``Wire`` only turns requests into ``Parsed`` values
and answers, errors and stream frames into bytes, so each vendor's shapes live in one module.
What the vendors do alike lives here once: bearer keys, text parts, the prompt an answer is
derived from and its token count, chat request decoding, SSE framing, per-token frames and the
rate-limit header set.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

import msgspec

from fakes.llm.quota import QuotaStatus
from fakes.llm.text import Answer, count_tokens

__all__ = [
    "NESTED_TOO_DEEPLY",
    "Frames",
    "Headers",
    "Parsed",
    "Problem",
    "RateLimitHeaders",
    "TextPart",
    "Wire",
    "WireError",
    "bearer",
    "decode_chat",
    "describe_utf8_error",
    "prompt_tokens",
    "sse",
    "text_of",
    "token_frames",
]

Headers = list[tuple[str, str]]
NESTED_TOO_DEEPLY = "the JSON is nested too deeply"
_encode = msgspec.json.encode
_MARKER = "\x00"
_ENCODED_MARKER = _encode(_MARKER)


def prompt_tokens(contents: list[str]) -> int:
    """Prompt tokens: each message's tokens plus 3 for its framing, plus 3 for the reply."""
    return sum(count_tokens(c) + 3 for c in contents) + 3


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or None if absent or empty."""
    if authorization is None or not authorization.startswith("Bearer "):
        return None
    return authorization[7:].strip() or None


class TextPart(msgspec.Struct):
    """A message content part (OpenAI) or block (Anthropic); only text parts carry ``text``."""

    type: str
    text: str | None = None


def text_of(content: str | list[TextPart] | None) -> str:
    """A message's text: the string itself, or its text parts joined by newlines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.text for p in content if p.text is not None)


class _Chat(Protocol):
    """A decoded chat request: anything with messages."""

    @property
    def messages(self) -> Sized: ...


_T = TypeVar("_T", bound=_Chat)


def decode_chat(
    decoder: msgspec.json.Decoder[_T], body: bytes, *, no_messages: str
) -> _T | WireError:
    """Decode a chat request, or say why it is not one.

    A body that does not decode is ``Invalid request body: ...`` (the vendors' wording is the
    same), whatever the decoder raised (bad JSON, wrong types, invalid UTF-8 in a string,
    nesting too deep to decode);
    one without messages is ``no_messages``, the vendor's wording, about ``messages``.
    """
    try:
        request = decoder.decode(body)
    except msgspec.DecodeError as exc:
        return WireError(f"Invalid request body: {exc}")
    except UnicodeDecodeError as exc:
        return WireError(f"Invalid request body: {describe_utf8_error(exc)}")
    except RecursionError:  # msgspec skips an unknown field's value by recursing into it
        return WireError(f"Invalid request body: {NESTED_TOO_DEEPLY}")
    except (ValueError, MemoryError) as exc:  # anything else decoding raises
        return WireError(f"Invalid request body: {type(exc).__name__}: {exc}")
    if not request.messages:
        return WireError(no_messages, param="messages")
    return request


def describe_utf8_error(exc: UnicodeDecodeError) -> str:
    """One line saying the body is not UTF-8: ``the body is not valid UTF-8 (invalid start
    byte)`` (the decoder's offsets are within a string, not the body, so none is given)."""
    return f"the body is not valid UTF-8 ({exc.reason})"


def sse(data: Any, *, event: str | None = None) -> bytes:
    """One server-sent event: an optional ``event:`` line, the JSON ``data:`` line, a blank line."""
    frame = b"data: " + _encode(data) + b"\n\n"
    return frame if event is None else b"event: " + event.encode() + b"\n" + frame


def token_frames(frame: Callable[[str], bytes], pieces: Iterable[str]) -> list[bytes]:
    """One frame per answer piece; ``frame(text)`` is built once and spliced for every piece."""
    before, _, after = frame(_MARKER).partition(_ENCODED_MARKER)
    return [before + _encode(piece) + after for piece in pieces]


class RateLimitHeaders:
    """A vendor's rate-limit header set: limit, remaining and reset, for requests then tokens.

    ``pattern`` spells a header name from ``{kind}`` (requests, tokens) and ``{field}``
    (limit, remaining, reset); names are spelled once, when the wire is built.
    """

    __slots__ = ("_names",)

    def __init__(self, pattern: str) -> None:
        self._names = [
            (kind, *(pattern.format(kind=kind, field=f) for f in ("limit", "remaining", "reset")))
            for kind in ("requests", "tokens")
        ]

    def __call__(self, quota: QuotaStatus, reset: str) -> Headers:
        """The headers for every limit ``quota`` has, with ``reset`` already in vendor format."""
        headers: Headers = []
        for kind, limit_name, remaining_name, reset_name in self._names:
            limit, remaining = quota.usage(kind)
            if limit is not None:
                headers += [
                    (limit_name, str(limit)),
                    (remaining_name, str(remaining)),
                    (reset_name, reset),
                ]
        return headers


@dataclass(frozen=True, slots=True)
class Parsed:
    """A valid chat request, vendor-neutral."""

    model: str
    prompt: str  # the text the answer is derived from
    prompt_tokens: int
    max_tokens: int | None
    stream: bool
    include_usage: bool = False

    @classmethod
    def of(
        cls,
        model: str,
        turns: list[tuple[str, str]],
        *,
        max_tokens: int | None,
        stream: bool,
        include_usage: bool = False,
    ) -> Parsed:
        """The request for ``(role, text)`` turns: ``role:text`` lines make the prompt."""
        return cls(
            model=model,
            prompt="\n".join(f"{role}:{text}" for role, text in turns),
            prompt_tokens=prompt_tokens([text for _, text in turns]),
            max_tokens=max_tokens,
            stream=stream,
            include_usage=include_usage,
        )

    @property
    def requested_tokens(self) -> int:
        """The context the request asks for: prompt tokens plus ``max_tokens``."""
        return self.prompt_tokens + (self.max_tokens or 0)


@dataclass(frozen=True, slots=True)
class WireError:
    """A request the vendor would refuse as malformed (400)."""

    message: str
    param: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a request is refused, for the vendor's error body.

    ``reason`` is one of auth, context, quota, error, outage, bad_request, not_found,
    not_allowed (a known path, another method), hang, shutdown;
    ``limit`` is the context limit exceeded, ``detail`` a message that replaces the default.
    """

    status: int
    reason: str
    request: Parsed | None = None
    quota: QuotaStatus | None = None
    limit: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Frames:
    """A stream's frames: ``head`` before the first token, one per token, then ``tail``."""

    head: list[bytes]
    tokens: list[bytes]
    tail: list[bytes]


class Wire(abc.ABC):
    """One vendor's API shapes."""

    vendor: ClassVar[str]
    chat_path: ClassVar[str]
    request_id_header: ClassVar[str]
    id_prefix: ClassVar[str]  # response ids are this and 16 digits
    missing_key: ClassVar[str]  # the 401 message when the request carries no key

    @abc.abstractmethod
    def api_key(self, authorization: str | None, x_api_key: str | None) -> str | None:
        """The API key the request carries, or None."""

    @abc.abstractmethod
    def parse(self, body: bytes) -> Parsed | WireError:
        """Decode a chat request."""

    @abc.abstractmethod
    def complete(self, request: Parsed, answer: Answer, request_id: str) -> bytes:
        """The non-streaming answer body (JSON)."""

    @abc.abstractmethod
    def frames(self, request: Parsed, answer: Answer, request_id: str) -> Frames:
        """The SSE frames of a streamed answer."""

    @abc.abstractmethod
    def malformed_json(self, request: Parsed, request_id: str) -> bytes:
        """A frame whose JSON is cut short."""

    @abc.abstractmethod
    def error_event(self, request_id: str) -> bytes:
        """The frame the vendor sends when a stream fails server-side."""

    @abc.abstractmethod
    def error(self, problem: Problem) -> bytes:
        """The vendor's error body for ``problem``."""

    @abc.abstractmethod
    def quota_headers(self, quota: QuotaStatus) -> Headers:
        """The vendor's rate-limit headers."""

    @abc.abstractmethod
    def models(self) -> bytes:
        """The body of ``GET /v1/models``."""

    @abc.abstractmethod
    def model(self, name: str) -> bytes:
        """The body of ``GET /v1/models/{name}`` for a model served."""
