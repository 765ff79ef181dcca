"""Errors to HTTP, in one function: ``to_problem`` maps every error to an RFC 9457
problem (``application/problem+json``) naming the field and the reason.

- ``ServiceError`` subclasses: ``BadRequest`` 422, ``Unauthorized`` 401, ``NotFound`` 404,
  ``RateLimited`` 429 (``Retry-After`` and ``RateLimit-*``), ``DependencyUnavailable`` and
  ``Draining`` 503, ``AllProvidersFailed`` 503 (or the client error inside it),
  ``ProviderError`` by kind, ``StreamInterrupted`` 502;
- Litestar's validation errors (malformed JSON, wrong types, missing or unknown fields)
  400, an oversized body 413, other HTTP exceptions their own status;
- anything else 500 without details (the exception is logged, never shown).
"""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import Send

from service.domain.errors import (
    AllProvidersFailed,
    BadRequest,
    DependencyUnavailable,
    Draining,
    NotFound,
    ProviderError,
    RateLimited,
    ServiceError,
    StreamInterrupted,
    Unauthorized,
)

__all__ = [
    "PROBLEM_JSON",
    "FieldError",
    "Problem",
    "encode_problem",
    "problem_handler",
    "rate_limit_headers",
    "send_problem",
    "to_problem",
]

PROBLEM_JSON = "application/problem+json"
_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
_PATH_IN_MESSAGE = re.compile(r" - at `\$\.?([^`]*)`$")


class FieldError(msgspec.Struct, frozen=True):
    field: str
    reason: str


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem; ``field``/``errors`` name what was wrong and why."""

    title: str
    status: int
    detail: str
    type: str = "about:blank"
    field: str | None = None
    errors: tuple[FieldError, ...] = ()
    dependency: str | None = None
    provider: str | None = None
    kind: str | None = None


_ENCODER = msgspec.json.Encoder()


def encode_problem(problem: Problem) -> bytes:
    return _ENCODER.encode(problem)


def rate_limit_headers(*, limit: int, remaining: int, reset_after: float) -> dict[str, str]:
    """``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (seconds)."""
    return {
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(max(0, remaining)),
        "ratelimit-reset": str(max(0, math.ceil(reset_after))),
    }


def to_problem(exc: BaseException) -> tuple[Problem, dict[str, str]]:
    """The one mapping from an error to a problem and its extra response headers."""
    if isinstance(exc, ServiceError):
        return _service_problem(exc)
    if isinstance(exc, ValidationException):
        return _validation_problem(exc), {}
    if isinstance(exc, HTTPException):
        status = exc.status_code
        field = "body" if status == 413 else None
        detail = str(exc.detail)
        if status == 413:
            detail = "request body is larger than the limit"
        elif status == 400:  # Litestar's body decoding: malformed or truncated JSON
            field = "body"
            if not detail.startswith("JSON is malformed"):
                detail = f"JSON is malformed: {detail}"
        return Problem(title=_title(status), status=status, detail=detail, field=field), dict(
            exc.headers or {}
        )
    return Problem(title="Internal error", status=500, detail="unexpected error"), {}


def _service_problem(exc: ServiceError) -> tuple[Problem, dict[str, str]]:
    if isinstance(exc, BadRequest):
        return Problem(title=exc.title, status=422, detail=exc.detail, field=exc.field), {}
    if isinstance(exc, Unauthorized):
        headers = {"www-authenticate": 'Bearer realm="chat"'}
        return Problem(title=exc.title, status=401, detail=exc.detail), headers
    if isinstance(exc, NotFound):
        return Problem(title=exc.title, status=404, detail=exc.detail), {}
    if isinstance(exc, RateLimited):
        headers = rate_limit_headers(limit=exc.limit, remaining=0, reset_after=exc.reset_after)
        headers["retry-after"] = str(max(1, math.ceil(exc.retry_after)))
        return Problem(title=exc.title, status=429, detail=exc.detail), headers
    if isinstance(exc, DependencyUnavailable):
        problem = Problem(title=exc.title, status=503, detail=exc.detail, dependency=exc.dependency)
        return problem, {"retry-after": "1"}
    if isinstance(exc, Draining):
        return Problem(title=exc.title, status=503, detail=exc.detail), {"retry-after": "1"}
    if isinstance(exc, AllProvidersFailed):
        client_error = exc.client_error
        if client_error is not None:
            return _provider_problem(client_error)
        return Problem(title=exc.title, status=503, detail=exc.detail), {"retry-after": "1"}
    if isinstance(exc, ProviderError):
        return _provider_problem(exc)
    if isinstance(exc, StreamInterrupted):
        return Problem(title=exc.title, status=502, detail=exc.detail), {}
    return Problem(title=exc.title, status=500, detail=exc.detail), {}


_PROVIDER_STATUS = {"bad_request": 400, "context_length": 400, "not_found": 422}


def _provider_problem(exc: ProviderError) -> tuple[Problem, dict[str, str]]:
    status = _PROVIDER_STATUS.get(exc.kind, 503 if exc.retryable else 502)
    field = "model" if exc.kind == "not_found" else "messages" if status == 400 else None
    problem = Problem(
        title=exc.title,
        status=status,
        detail=exc.detail,
        field=field,
        provider=exc.provider,
        kind=exc.kind,
    )
    return problem, {"retry-after": "1"} if status == 503 else {}


def _validation_problem(exc: ValidationException) -> Problem:
    errors: list[FieldError] = []
    extra: Any = exc.extra
    items = extra if isinstance(extra, list) else []
    for item in items:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        errors.append(FieldError(_field_of(str(item.get("key") or ""), message), message))
    if not errors:
        errors.append(FieldError("body", str(exc.detail)))
    first = errors[0]
    return Problem(
        title="Invalid request",
        status=400,
        detail=f"{first.field}: {first.reason}",
        field=first.field,
        errors=tuple(errors),
    )


def _field_of(key: str, message: str) -> str:
    """The field a validation message is about: its path, the field it names, else body."""
    path = _PATH_IN_MESSAGE.search(message)
    if path and path.group(1):
        return path.group(1)
    if key and key != "data":
        return key
    named = _FIELD_IN_MESSAGE.search(message)
    return named.group(1) if named else "body"


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Litestar exception handler: every error becomes problem+json."""
    problem, headers = to_problem(exc)
    if problem.status >= 500 and not isinstance(exc, ServiceError):
        _log_unexpected(request, exc)
    return Response(
        encode_problem(problem),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def send_problem(send: Send, exc: BaseException) -> int:
    """Answer with the problem for ``exc`` straight over ASGI; returns the status."""
    problem, headers = to_problem(exc)
    body = encode_problem(problem)
    raw = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    raw.extend((k.encode(), v.encode()) for k, v in headers.items())
    await send({"type": "http.response.start", "status": problem.status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return problem.status


def _log_unexpected(request: Request[Any, Any, Any], exc: Exception) -> None:
    import structlog

    structlog.get_logger("service.api").error(
        "unhandled_error",
        route=request.scope.get("path_template", ""),
        error=type(exc).__name__,
        exc_info=exc,
    )
