"""OpenAI's Chat Completions wire format: requests, answers, SSE chunks, errors, headers."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from fakes.llm.quota import QuotaStatus
from fakes.llm.text import Answer
from fakes.llm.wire import Frames, Headers, Parsed, Wire, WireError, prompt_tokens

__all__ = ["MODELS", "OpenAIWire"]

MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-3.5-turbo")
_FINGERPRINT = "fp_fake"


class _Part(msgspec.Struct):
    type: str
    text: str | None = None


class _Message(msgspec.Struct):
    role: str
    content: str | list[_Part] | None = None


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

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Bad request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
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


def _text(content: str | list[_Part] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.text for p in content if p.text is not None)


def _duration(seconds: float) -> str:
    """OpenAI's reset format: ``1m30s``, ``6s``, ``250ms``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


class OpenAIWire(Wire):
    """``POST /v1/chat/completions``, ``GET /v1/models``; errors as ``{"error": {...}}``."""

    vendor = "openai"
    chat_path = "/v1/chat/completions"
    request_id_header = "x-request-id"

    def api_key(self, authorization: str | None, x_api_key: str | None) -> str | None:
        """The bearer token of ``Authorization``."""
        if authorization is None or not authorization.startswith("Bearer "):
            return None
        key = authorization[7:].strip()
        return key or None

    def parse(self, body: bytes) -> Parsed | WireError:
        """Decode a chat completion request; unknown fields are ignored, as OpenAI does."""
        try:
            req = _decoder.decode(body)
        except msgspec.DecodeError as exc:
            return WireError(f"Invalid request body: {exc}")
        if not req.messages:
            return WireError("'messages' must not be empty.", param="messages")
        contents = [_text(m.content) for m in req.messages]
        limit = (
            req.max_completion_tokens if req.max_completion_tokens is not None else req.max_tokens
        )
        if limit is not None and limit < 1:
            return WireError("max_tokens must be at least 1.", param="max_tokens")
        options = req.stream_options
        return Parsed(
            model=req.model,
            prompt="\n".join(f"{m.role}:{c}" for m, c in zip(req.messages, contents, strict=True)),
            prompt_tokens=prompt_tokens(contents),
            max_tokens=limit,
            stream=bool(req.stream),
            include_usage=bool(options is not None and options.include_usage),
        )

    def _usage(self, request: Parsed, answer: Answer) -> dict[str, int]:
        return {
            "prompt_tokens": request.prompt_tokens,
            "completion_tokens": answer.tokens,
            "total_tokens": request.prompt_tokens + answer.tokens,
        }

    def complete(self, request: Parsed, answer: Answer, request_id: str) -> bytes:
        """A ``chat.completion`` object."""
        return _encode(
            {
                "id": request_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.model,
                "system_fingerprint": _FINGERPRINT,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": answer.finish,
                    }
                ],
                "usage": self._usage(request, answer),
            }
        )

    def _chunk(self, request: Parsed, request_id: str, created: int) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": request_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": request.model,
            "system_fingerprint": _FINGERPRINT,
        }
        if request.include_usage:
            chunk["usage"] = None
        return chunk

    def frames(self, request: Parsed, answer: Answer, request_id: str) -> Frames:
        """``chat.completion.chunk`` frames, an optional usage chunk, then ``[DONE]``."""
        base = self._chunk(request, request_id, int(time.time()))

        def frame(delta: dict[str, Any], finish: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return b"data: " + _encode({**base, "choices": [choice]}) + b"\n\n"

        # The token frames share everything but the text: build them from one template.
        marker = "\x00"
        template = frame({"content": marker}, None)
        before, _, after = template.partition(_encode(marker))
        tokens = [before + _encode(piece) + after for piece in answer.pieces]
        tail = [frame({}, answer.finish)]
        if request.include_usage:
            usage = {**base, "choices": [], "usage": self._usage(request, answer)}
            tail.append(b"data: " + _encode(usage) + b"\n\n")
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
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return b"data: " + _encode(body) + b"\n\n"

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
        """``{"error": {"message", "type", "param", "code"}}`` as OpenAI sends it."""
        message, kind, code = _ERRORS.get(status, _ERRORS[500])
        param: str | None = None
        if reason == "context" and request is not None:
            wanted = request.prompt_tokens + (request.max_tokens or 0)
            kind, code, param = "invalid_request_error", "context_length_exceeded", "messages"
            message = (
                f"This model's maximum context length is {limit} tokens. However, you requested "
                f"{wanted} tokens ({request.prompt_tokens} in the messages, "
                f"{request.max_tokens or 0} in the completion). Please reduce the length of "
                "the messages or completion."
            )
        elif reason == "quota" and quota is not None and request is not None:
            kind = quota.exceeded or "requests"
            unit = "tokens per min (TPM)" if kind == "tokens" else "requests per min (RPM)"
            cap = quota.tokens_limit if kind == "tokens" else quota.requests_limit
            left = quota.tokens_remaining if kind == "tokens" else quota.requests_remaining
            message = (
                f"Rate limit reached for {request.model} in organization org-fake on {unit}: "
                f"Limit {cap}, Used {(cap or 0) - (left or 0)}. "
                f"Please try again in {_duration(quota.reset_s)}."
            )
        elif reason == "auth" and detail:
            message = detail
        elif reason == "bad_request":
            message = detail or message
        return _encode({"error": {"message": message, "type": kind, "param": param, "code": code}})

    def quota_headers(self, quota: QuotaStatus) -> Headers:
        """``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``."""
        headers: Headers = []
        reset = _duration(quota.reset_s)
        if quota.requests_limit is not None:
            headers += [
                ("x-ratelimit-limit-requests", str(quota.requests_limit)),
                ("x-ratelimit-remaining-requests", str(quota.requests_remaining)),
                ("x-ratelimit-reset-requests", reset),
            ]
        if quota.tokens_limit is not None:
            headers += [
                ("x-ratelimit-limit-tokens", str(quota.tokens_limit)),
                ("x-ratelimit-remaining-tokens", str(quota.tokens_remaining)),
                ("x-ratelimit-reset-tokens", reset),
            ]
        return headers

    def models(self) -> bytes:
        """A ``list`` of ``model`` objects."""
        data = [
            {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
            for m in MODELS
        ]
        return _encode({"object": "list", "data": data})
