"""Anthropic's Messages wire format: requests, answers, SSE events, errors, headers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from fakes.llm import wire
from fakes.llm.quota import QuotaStatus
from fakes.llm.text import Answer
from fakes.llm.wire import Frames, Headers, Parsed, Problem, Wire, WireError

__all__ = ["MODELS", "AnthropicWire"]

MODELS = (
    "claude-3-5-haiku-latest",
    "claude-3-5-haiku-20241022",
    "claude-haiku-4-5",
    "claude-sonnet-4-5",
    "claude-opus-4-1",
)
"""The models the fake serves by default (the service's and the lab's defaults among them)."""


class _Message(msgspec.Struct):
    role: str
    content: str | list[wire.TextPart]


class _Request(msgspec.Struct):
    model: str
    messages: list[_Message]
    max_tokens: int
    system: str | list[wire.TextPart] | None = None
    stream: bool | None = None


_decoder = msgspec.json.Decoder(_Request)
_encode = msgspec.json.encode
_rate_limit_headers = wire.RateLimitHeaders("anthropic-ratelimit-{kind}-{field}")
_EMPTY_TEXT = {"type": "text", "text": ""}

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    404: ("not_found_error", "Not found."),
    405: ("invalid_request_error", "Method not allowed."),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _model(name: str) -> dict[str, Any]:
    return {"type": "model", "id": name, "display_name": name, "created_at": "2025-01-01T00:00:00Z"}


def _stop(answer: Answer) -> str:
    return "max_tokens" if answer.finish == "length" else "end_turn"


def _message(
    request: Parsed, request_id: str, *, text: str | None, stop: str | None, output_tokens: int
) -> dict[str, Any]:
    """A ``message`` object: with its text block, or (``text`` None) empty as a stream opens."""
    return {
        "id": request_id,
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": [] if text is None else [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": request.prompt_tokens, "output_tokens": output_tokens},
    }


class AnthropicWire(Wire):
    """``POST /v1/messages``, ``GET /v1/models``; errors as ``{"type": "error", ...}``."""

    vendor = "anthropic"
    chat_path = "/v1/messages"
    request_id_header = "request-id"
    id_prefix = "msg_fake"
    missing_key = "x-api-key header is required"

    def __init__(self, models: Sequence[str] = MODELS) -> None:
        self._models = _encode(
            {
                "data": [_model(m) for m in models],
                "has_more": False,
                "first_id": models[0] if models else None,
                "last_id": models[-1] if models else None,
            }
        )

    def api_key(self, authorization: str | None, x_api_key: str | None) -> str | None:
        """``x-api-key``, or a bearer token (the SDK's ``auth_token``)."""
        return x_api_key or wire.bearer(authorization)

    def parse(self, body: bytes) -> Parsed | WireError:
        """Decode a Messages request; ``max_tokens`` is required, as Anthropic requires it."""
        req = wire.decode_chat(
            _decoder, body, no_messages="messages: at least one message is required"
        )
        if isinstance(req, WireError):
            return req
        if req.max_tokens < 1:
            return WireError("max_tokens: must be greater than or equal to 1", param="max_tokens")
        turns = [(m.role, wire.text_of(m.content)) for m in req.messages]
        system = wire.text_of(req.system)
        if system:
            turns.insert(0, ("system", system))
        return Parsed.of(req.model, turns, max_tokens=req.max_tokens, stream=bool(req.stream))

    def complete(self, request: Parsed, answer: Answer, request_id: str) -> bytes:
        """A ``message`` object."""
        return _encode(
            _message(
                request,
                request_id,
                text=answer.text,
                stop=_stop(answer),
                output_tokens=answer.tokens,
            )
        )

    def frames(self, request: Parsed, answer: Answer, request_id: str) -> Frames:
        """message_start, content_block_start, ping, deltas, block stop, message delta/stop."""
        message = _message(request, request_id, text=None, stop=None, output_tokens=1)
        head = [
            wire.sse({"type": "message_start", "message": message}, event="message_start"),
            wire.sse(
                {"type": "content_block_start", "index": 0, "content_block": _EMPTY_TEXT},
                event="content_block_start",
            ),
            wire.sse({"type": "ping"}, event="ping"),
        ]
        tokens = wire.token_frames(
            lambda text: wire.sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": text},
                },
                event="content_block_delta",
            ),
            answer.pieces,
        )
        tail = [
            wire.sse({"type": "content_block_stop", "index": 0}, event="content_block_stop"),
            wire.sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": _stop(answer), "stop_sequence": None},
                    "usage": {"output_tokens": answer.tokens},
                },
                event="message_delta",
            ),
            wire.sse({"type": "message_stop"}, event="message_stop"),
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
        return wire.sse(_error_body(*_ERRORS[529]), event="error")

    def error(self, problem: Problem) -> bytes:
        """``{"type": "error", "error": {"type", "message"}}``."""
        kind, message = _ERRORS.get(problem.status, _ERRORS[500])
        reason, request, quota = problem.reason, problem.request, problem.quota
        if reason == "context" and request is not None:
            message = (
                f"prompt is too long: {request.requested_tokens} tokens > {problem.limit} maximum"
            )
        elif reason == "quota" and quota is not None:
            what = "input tokens" if quota.exceeded == "tokens" else "requests"
            cap, _ = quota.usage(quota.exceeded)
            message = (
                f"This request would exceed the rate limit for your organization of {cap} "
                f"{what} per minute. Please retry after the time in the retry-after header."
            )
        elif reason == "model" and request is not None:
            message = f"model: {request.model}"
        elif reason in ("auth", "bad_request", "not_found", "not_allowed") and problem.detail:
            message = problem.detail
        return _encode(_error_body(kind, message))

    def quota_headers(self, quota: QuotaStatus) -> Headers:
        """``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`` (reset: RFC 3339)."""
        reset_at = dt.datetime.fromtimestamp(time.time() + quota.reset_s, tz=dt.UTC)
        return _rate_limit_headers(
            quota, reset_at.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        )

    def models(self) -> bytes:
        """A page of the ``model`` objects served."""
        return self._models

    def model(self, name: str) -> bytes:
        """One ``model`` object."""
        return _encode(_model(name))
