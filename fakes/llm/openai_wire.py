"""OpenAI's Chat Completions wire format: requests, answers, SSE chunks, errors, headers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import msgspec

from fakes.llm import wire
from fakes.llm.quota import QuotaStatus
from fakes.llm.text import Answer
from fakes.llm.wire import Frames, Headers, Parsed, Problem, Wire, WireError

__all__ = ["MODELS", "OpenAIWire"]

MODELS = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o4-mini",
    "gpt-3.5-turbo",
)
"""The models the fake serves by default (the service's and the lab's defaults among them)."""
_FINGERPRINT = "fp_fake"


class _Message(msgspec.Struct):
    role: str
    content: str | list[wire.TextPart] | None = None


class _StreamOptions(msgspec.Struct):
    include_usage: bool | None = None


class _Request(msgspec.Struct):
    model: str
    messages: list[_Message]
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stream: bool | None = None
    stream_options: _StreamOptions | None = None


_decoder = msgspec.json.Decoder(_Request)
_encode = msgspec.json.encode
_rate_limit_headers = wire.RateLimitHeaders("x-ratelimit-{field}-{kind}")

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Bad request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    404: ("Invalid URL.", "invalid_request_error", "unknown_url"),
    405: ("Invalid method for URL.", "invalid_request_error", "method_not_allowed"),
    429: ("Rate limit reached, please retry later.", "requests", "rate_limit_exceeded"),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
    529: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


def _duration(seconds: float) -> str:
    """OpenAI's reset format: ``1m30s``, ``6s``, ``250ms``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def _error_body(message: str, kind: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _envelope(kind: str, request: Parsed, request_id: str) -> dict[str, Any]:
    """The fields a completion object and a chunk open with; ``kind`` is their ``object``."""
    return {
        "id": request_id,
        "object": kind,
        "created": int(time.time()),
        "model": request.model,
        "system_fingerprint": _FINGERPRINT,
    }


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}


def _usage(request: Parsed, answer: Answer) -> dict[str, int]:
    return {
        "prompt_tokens": request.prompt_tokens,
        "completion_tokens": answer.tokens,
        "total_tokens": request.prompt_tokens + answer.tokens,
    }


class OpenAIWire(Wire):
    """``POST /v1/chat/completions``, ``GET /v1/models``; errors as ``{"error": {...}}``."""

    vendor = "openai"
    chat_path = "/v1/chat/completions"
    request_id_header = "x-request-id"
    id_prefix = "chatcmpl-fake"
    missing_key = (
        "You didn't provide an API key. You need to provide your API key in an "
        "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
    )

    def __init__(self, models: Sequence[str] = MODELS) -> None:
        self._models = _encode({"object": "list", "data": [_model(m) for m in models]})

    def api_key(self, authorization: str | None, x_api_key: str | None) -> str | None:
        """The bearer token of ``Authorization``."""
        return wire.bearer(authorization)

    def parse(self, body: bytes) -> Parsed | WireError:
        """Decode a chat completion request; unknown fields are ignored, as OpenAI does."""
        req = wire.decode_chat(_decoder, body, no_messages="'messages' must not be empty.")
        if isinstance(req, WireError):
            return req
        limit = (
            req.max_completion_tokens if req.max_completion_tokens is not None else req.max_tokens
        )
        if limit is not None and limit < 1:
            return WireError("max_tokens must be at least 1.", param="max_tokens")
        options = req.stream_options
        return Parsed.of(
            req.model,
            [(m.role, wire.text_of(m.content)) for m in req.messages],
            max_tokens=limit,
            stream=bool(req.stream),
            include_usage=bool(options is not None and options.include_usage),
        )

    def complete(self, request: Parsed, answer: Answer, request_id: str) -> bytes:
        """A ``chat.completion`` object."""
        return _encode(
            {
                **_envelope("chat.completion", request, request_id),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": answer.finish,
                    }
                ],
                "usage": _usage(request, answer),
            }
        )

    def frames(self, request: Parsed, answer: Answer, request_id: str) -> Frames:
        """``chat.completion.chunk`` frames, an optional usage chunk, then ``[DONE]``."""
        base = _envelope("chat.completion.chunk", request, request_id)
        if request.include_usage:
            base["usage"] = None

        def frame(delta: dict[str, Any], finish: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return wire.sse({**base, "choices": [choice]})

        tokens = wire.token_frames(lambda text: frame({"content": text}, None), answer.pieces)
        tail = [frame({}, answer.finish)]
        if request.include_usage:
            tail.append(wire.sse({**base, "choices": [], "usage": _usage(request, answer)}))
        tail.append(b"data: [DONE]\n\n")
        return Frames(
            head=[frame({"role": "assistant", "content": ""}, None)], tokens=tokens, tail=tail
        )

    def malformed_json(self, request: Parsed, request_id: str) -> bytes:
        """A chunk cut in the middle of its JSON."""
        return (
            b'data: {"id":"' + request_id.encode() + b'","object":"chat.completion.chunk",'
            b'"choices":[{"index":0,"delta":{"content":" tru\n\n'
        )

    def error_event(self, request_id: str) -> bytes:
        """OpenAI reports a failed stream as a data frame holding an ``error`` object."""
        message, kind, code = _ERRORS[500]
        return wire.sse(_error_body(message, kind, None, code))

    def error(self, problem: Problem) -> bytes:
        """``{"error": {"message", "type", "param", "code"}}`` as OpenAI sends it."""
        message, kind, code = _ERRORS.get(problem.status, _ERRORS[500])
        param: str | None = None
        reason, request, quota = problem.reason, problem.request, problem.quota
        if reason == "context" and request is not None:
            kind, code, param = "invalid_request_error", "context_length_exceeded", "messages"
            message = (
                f"This model's maximum context length is {problem.limit} tokens. However, you "
                f"requested {request.requested_tokens} tokens ({request.prompt_tokens} in the "
                f"messages, {request.max_tokens or 0} in the completion). Please reduce the "
                "length of the messages or completion."
            )
        elif reason == "quota" and quota is not None and request is not None:
            kind = quota.exceeded or "requests"
            unit = "tokens per min (TPM)" if kind == "tokens" else "requests per min (RPM)"
            cap, left = quota.usage(kind)
            message = (
                f"Rate limit reached for {request.model} in organization org-fake on {unit}: "
                f"Limit {cap}, Used {(cap or 0) - (left or 0)}. "
                f"Please try again in {_duration(quota.reset_s)}."
            )
        elif reason == "auth" and problem.detail:
            message = problem.detail
        elif reason == "model" and request is not None:
            code = "model_not_found"
            message = f"The model `{request.model}` does not exist or you do not have access to it."
        elif reason in ("bad_request", "not_found", "not_allowed"):
            message = problem.detail or message
        return _encode(_error_body(message, kind, param, code))

    def quota_headers(self, quota: QuotaStatus) -> Headers:
        """``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``."""
        return _rate_limit_headers(quota, _duration(quota.reset_s))

    def models(self) -> bytes:
        """A ``list`` of the ``model`` objects served."""
        return self._models

    def model(self, name: str) -> bytes:
        """One ``model`` object."""
        return _encode(_model(name))
