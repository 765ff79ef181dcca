"""Anthropic's Messages wire format: requests, answers, SSE events, errors, headers."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import msgspec

from fakes.llm.quota import QuotaStatus
from fakes.llm.text import Answer
from fakes.llm.wire import Frames, Headers, Parsed, Wire, WireError, prompt_tokens

__all__ = ["MODELS", "AnthropicWire"]

MODELS = ("claude-3-5-haiku-latest", "claude-sonnet-4-5", "claude-opus-4-1")


class _Block(msgspec.Struct):
    type: str
    text: str | None = None


class _Message(msgspec.Struct):
    role: str
    content: str | list[_Block]


class _Request(msgspec.Struct):
    model: str
    messages: list[_Message]
    max_tokens: int
    system: str | list[_Block] | None = None
    stream: bool | None = None


_decoder = msgspec.json.Decoder(_Request)
_encode = msgspec.json.encode

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    404: ("not_found_error", "Not found."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


def _text(content: str | list[_Block] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(b.text for b in content if b.text is not None)


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + _encode(data) + b"\n\n"


class AnthropicWire(Wire):
    """``POST /v1/messages``, ``GET /v1/models``; errors as ``{"type": "error", ...}``."""

    vendor = "anthropic"
    chat_path = "/v1/messages"
    request_id_header = "request-id"

    def api_key(self, authorization: str | None, x_api_key: str | None) -> str | None:
        """``x-api-key``, or a bearer token (the SDK's ``auth_token``)."""
        if x_api_key:
            return x_api_key
        if authorization is not None and authorization.startswith("Bearer "):
            return authorization[7:].strip() or None
        return None

    def parse(self, body: bytes) -> Parsed | WireError:
        """Decode a Messages request; ``max_tokens`` is required, as Anthropic requires it."""
        try:
            req = _decoder.decode(body)
        except msgspec.DecodeError as exc:
            return WireError(f"Invalid request body: {exc}")
        if not req.messages:
            return WireError("messages: at least one message is required", param="messages")
        if req.max_tokens < 1:
            return WireError("max_tokens: must be greater than or equal to 1", param="max_tokens")
        contents = [_text(m.content) for m in req.messages]
        system = _text(req.system)
        lines = [f"{m.role}:{c}" for m, c in zip(req.messages, contents, strict=True)]
        if system:
            contents.insert(0, system)
            lines.insert(0, f"system:{system}")
        return Parsed(
            model=req.model,
            prompt="\n".join(lines),
            prompt_tokens=prompt_tokens(contents),
            max_tokens=req.max_tokens,
            stream=bool(req.stream),
        )

    @staticmethod
    def _stop(answer: Answer) -> str:
        return "max_tokens" if answer.finish == "length" else "end_turn"

    def complete(self, request: Parsed, answer: Answer, request_id: str) -> bytes:
        """A ``message`` object."""
        return _encode(
            {
                "id": request_id,
                "type": "message",
                "role": "assistant",
                "model": request.model,
                "content": [{"type": "text", "text": answer.text}],
                "stop_reason": self._stop(answer),
                "stop_sequence": None,
                "usage": {"input_tokens": request.prompt_tokens, "output_tokens": answer.tokens},
            }
        )

    def frames(self, request: Parsed, answer: Answer, request_id: str) -> Frames:
        """message_start, content_block_start, ping, deltas, block stop, message delta/stop."""
        message: dict[str, Any] = {
            "id": request_id,
            "type": "message",
            "role": "assistant",
            "model": request.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": request.prompt_tokens, "output_tokens": 1},
        }
        head = [
            _event("message_start", {"type": "message_start", "message": message}),
            _event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            _event("ping", {"type": "ping"}),
        ]
        marker = "\x00"
        template = _event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": marker},
            },
        )
        before, _, after = template.partition(_encode(marker))
        tokens = [before + _encode(piece) + after for piece in answer.pieces]
        tail = [
            _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            _event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self._stop(answer), "stop_sequence": None},
                    "usage": {"output_tokens": answer.tokens},
                },
            ),
            _event("message_stop", {"type": "message_stop"}),
        ]
        return Frames(head=head, tokens=tokens, tail=tail)

    def malformed_json(self, request: Parsed, request_id: str) -> bytes:
        """A delta event cut in the middle of its JSON."""
        return (
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
            b'"delta":{"type":"text_delta","text":" tru\n\n'
        )

    def error_event(self, request_id: str) -> bytes:
        """Anthropic's mid-stream ``error`` event (an overload)."""
        kind, message = _ERRORS[529]
        return _event("error", {"type": "error", "error": {"type": kind, "message": message}})

    def error(
        self,
        status: int,
        reason: str,
        *,
        request: Parsed | None,
        quota: QuotaStatus | None = None,
        limit: int = 0,
        detail: str = "",
    ) -> bytes:
        """``{"type": "error", "error": {"type", "message"}, "request_id"}``."""
        kind, message = _ERRORS.get(status, _ERRORS[500])
        if reason == "context" and request is not None:
            wanted = request.prompt_tokens + (request.max_tokens or 0)
            message = f"prompt is too long: {wanted} tokens > {limit} maximum"
        elif reason == "quota" and quota is not None:
            what = "input tokens" if quota.exceeded == "tokens" else "requests"
            cap = quota.tokens_limit if quota.exceeded == "tokens" else quota.requests_limit
            message = (
                f"This request would exceed the rate limit for your organization of {cap} "
                f"{what} per minute. Please retry after the time in the retry-after header."
            )
        elif reason in ("auth", "bad_request", "not_found") and detail:
            message = detail
        return _encode({"type": "error", "error": {"type": kind, "message": message}})

    def quota_headers(self, quota: QuotaStatus) -> Headers:
        """``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`` (reset: RFC 3339)."""
        reset_at = dt.datetime.fromtimestamp(time.time() + quota.reset_s, tz=dt.UTC)
        reset = reset_at.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        headers: Headers = []
        if quota.requests_limit is not None:
            headers += [
                ("anthropic-ratelimit-requests-limit", str(quota.requests_limit)),
                ("anthropic-ratelimit-requests-remaining", str(quota.requests_remaining)),
                ("anthropic-ratelimit-requests-reset", reset),
            ]
        if quota.tokens_limit is not None:
            headers += [
                ("anthropic-ratelimit-tokens-limit", str(quota.tokens_limit)),
                ("anthropic-ratelimit-tokens-remaining", str(quota.tokens_remaining)),
                ("anthropic-ratelimit-tokens-reset", reset),
            ]
        return headers

    def models(self) -> bytes:
        """A page of ``model`` objects."""
        data = [
            {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
            for m in MODELS
        ]
        return _encode(
            {"data": data, "has_more": False, "first_id": MODELS[0], "last_id": MODELS[-1]}
        )
