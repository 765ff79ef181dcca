"""Errors in OpenAI's dialect, for ``/v1/chat/completions`` (a route that imitates OpenAI).

Every OpenAI client reads ``{"error": {"message", "type", "param", "code"}}`` and picks
its exception class by status, so the route answers in that shape with OpenAI's statuses.
The mapping is ``to_problem``'s (one mapping), rendered in OpenAI's words:

- malformed body, wrong type (400) and refused input (422: empty message, limits,
  tools): 400 ``invalid_request_error``, ``param`` the field;
- unknown model (ours, or the provider's ``not_found``): 404 ``model_not_found``;
- prompt over the provider's context: 400 ``context_length_exceeded``, ``param`` messages;
- missing or unknown key: 401 ``invalid_request_error``, ``invalid_api_key``;
- over the rate limit: 429 ``requests``, ``rate_limit_exceeded``;
- body over the size limit: 413 ``invalid_request_error``, ``request_too_large``;
- provider or dependency failure, draining: 502/503 ``server_error``; anything else 500.

Headers (``Retry-After``, ``RateLimit-*``, ``WWW-Authenticate``) are the problem's. The
service's own routes keep RFC 9457 problem+json.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Send

from service.api.errors import Problem, log_unexpected, title_of, to_problem
from service.domain.errors import ServiceError

__all__ = [
    "OPENAI_DIALECT",
    "OpenAIError",
    "OpenAIErrorBody",
    "encode_openai_error",
    "openai_error_handler",
    "openai_error_responses",
    "send_openai_error",
    "to_openai_error",
]

OPENAI_DIALECT = "openai"
"""The value of a route's ``opt["errors"]`` that makes its errors OpenAI-shaped."""


class OpenAIErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """What OpenAI's clients read: ``message``, ``type``, ``param``, ``code``."""

    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(msgspec.Struct, frozen=True):
    """OpenAI's error body (and the data of a stream's error event)."""

    error: OpenAIErrorBody


_ENCODER = msgspec.json.Encoder()
_INVALID = "invalid_request_error"
_CODES = {401: "invalid_api_key", 413: "request_too_large", 429: "rate_limit_exceeded"}


def to_openai_error(exc: BaseException) -> tuple[int, OpenAIError, dict[str, str]]:
    """Status, body and headers of ``exc`` in OpenAI's dialect (see the module table)."""
    problem, headers = to_problem(exc)
    return (*_dialect(problem), headers)


def _dialect(problem: Problem) -> tuple[int, OpenAIError]:
    status = problem.status
    param = problem.field if problem.field != "body" else None
    code: str | None = _CODES.get(status)
    kind = "server_error" if status >= 500 else "requests" if status == 429 else _INVALID
    if problem.kind == "not_found" or (status == 422 and problem.field == "model"):
        status, param, code = 404, None, "model_not_found"
    elif problem.kind == "context_length":
        status, code = 400, "context_length_exceeded"
    elif status == 422:  # well-formed but refused: OpenAI says 400 for every invalid body
        status = 400
    if status >= 500 or status in (401, 429):
        param = None
    body = OpenAIErrorBody(message=problem.detail, type=kind, param=param, code=code)
    return status, OpenAIError(body)


def encode_openai_error(error: OpenAIError) -> bytes:
    return _ENCODER.encode(error)


def openai_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Litestar exception handler of the OpenAI-compatible route."""
    status, error, headers = to_openai_error(exc)
    if status >= 500 and not isinstance(exc, ServiceError):
        log_unexpected(request, exc)
    return Response(
        encode_openai_error(error),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def send_openai_error(send: Send, exc: BaseException) -> int:
    """Answer with OpenAI's error for ``exc`` straight over ASGI; returns the status."""
    status, error, headers = to_openai_error(exc)
    body = encode_openai_error(error)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw.extend((k.encode(), v.encode()) for k, v in headers.items())
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status


_WHEN = {
    400: "Invalid request: malformed JSON, a wrong type, a missing field, an empty message, "
    "an out-of-range value, unsupported tools/functions/response_format; `param` names it; "
    "`context_length_exceeded` when the prompt is over the model's context",
    401: "Missing or unknown API key (`invalid_api_key`)",
    404: "Unknown model (`model_not_found`)",
    413: "Request body larger than `CHAT_MAX_BODY_BYTES` (`request_too_large`)",
    429: "Over the key's rate limit (`rate_limit_exceeded`); `Retry-After` says when to retry",
    502: "A provider answered with an error the service cannot retry",
    503: "Every provider or a fail-closed dependency is unavailable, or the service is "
    "draining; `Retry-After` is set",
}


def openai_error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses=`` for the OpenAI-compatible route: each status as OpenAI's error."""
    return {
        status: ResponseSpec(
            data_container=OpenAIError,
            description=f"{title_of(status)}: {_WHEN.get(status, title_of(status))}",
            generate_examples=False,
        )
        for status in statuses
    }
