"""Errors to HTTP, in one function: ``to_problem`` maps every error to an RFC 9457
problem (``application/problem+json``) naming the field and the reason.

- ``ServiceError`` subclasses: ``BadRequest`` 422 (400 for a malformed ``cursor``),
  ``Unauthorized`` 401, ``NotFound`` 404,
  ``RateLimited`` 429 (``Retry-After`` and ``RateLimit-*``), ``DependencyUnavailable`` and
  ``Draining`` 503, ``AllProvidersFailed`` 503 (or the client error inside it),
  ``ProviderError`` by kind, ``StreamInterrupted`` 502;
- Litestar's validation errors (malformed JSON, wrong types, missing or unknown fields,
  an empty body) and a body that is not UTF-8 400, an oversized body 413, other HTTP
  exceptions their own status;
- anything else 500 without details (the exception is logged, never shown).

The ``title`` depends on the status only (RFC 9457 with ``type`` ``about:blank``: the
status's reason phrase, RFC 9110 wording), so one status always has one title; the
``detail`` says what went wrong. ``problem_responses`` documents these answers in OpenAPI.
``service.api.openai_errors`` renders the same mapping in OpenAI's error dialect for the
route that imitates OpenAI.
"""

from __future__ import annotations

import math
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
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
from service.telemetry.logging import get_logger

__all__ = [
    "PROBLEM_JSON",
    "FieldError",
    "Problem",
    "encode_problem",
    "log_unexpected",
    "problem_handler",
    "problem_responses",
    "rate_limit_headers",
    "send_problem",
    "title_of",
    "to_problem",
]

PROBLEM_JSON = "application/problem+json"
_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
_PATH_IN_MESSAGE = re.compile(r" - at `\$\.?([^`]*)`$")


_EMPTY_BODY = "empty or missing; expected a JSON object"
_NOT_UTF8 = "not valid UTF-8"
_QUERY_FIELDS = frozenset({"cursor"})
_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}
"""RFC 9110 reason phrases where Python's ``HTTPStatus`` still has the older wording."""


class FieldError(msgspec.Struct, frozen=True):
    """One invalid field of a request and the reason."""

    field: str
    reason: str


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem (``application/problem+json``): ``title`` is the status's
    reason phrase, ``detail`` says what went wrong, ``field``/``errors`` name the invalid
    input, ``dependency``/``provider``/``kind`` the failing dependency or provider."""

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
    problem, headers = _problem(exc)
    return msgspec.structs.replace(problem, title=title_of(problem.status)), headers


def title_of(status: int) -> str:
    """The problem title for ``status``: its RFC 9110 reason phrase."""
    if status in _PHRASES:
        return _PHRASES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _problem(exc: BaseException) -> tuple[Problem, dict[str, str]]:
    if isinstance(exc, ServiceError):
        return _service_problem(exc)
    if isinstance(exc, ValidationException):
        return _validation_problem(exc), {}
    if isinstance(exc, UnicodeDecodeError):  # Litestar decodes JSON bodies as UTF-8
        return _body_problem(400, _NOT_UTF8), {}
    if isinstance(exc, HTTPException):
        status = exc.status_code
        headers = dict(exc.headers or {})
        if status == 413:
            return _body_problem(413, "larger than the size limit"), headers
        detail = str(exc.detail)
        if status == 400:  # Litestar's body decoding: malformed or truncated JSON
            if not detail.startswith("JSON is malformed"):
                detail = f"JSON is malformed: {detail}"
            return _body_problem(400, detail), headers
        return Problem(title="", status=status, detail=detail), headers
    return Problem(title="", status=500, detail="unexpected error"), {}


def _body_problem(status: int, detail: str) -> Problem:
    return Problem(
        title="",
        status=status,
        detail=f"body: {detail}",
        field="body",
        errors=(FieldError("body", detail),),
    )


def _service_problem(exc: ServiceError) -> tuple[Problem, dict[str, str]]:
    if isinstance(exc, BadRequest):
        # a query parameter that does not parse (a malformed cursor) is a 400, like
        # Litestar's own query validation; refused input is a 422
        status = 400 if exc.field in _QUERY_FIELDS else 422
        return Problem(title="", status=status, detail=exc.detail, field=exc.field), {}
    if isinstance(exc, Unauthorized):
        headers = {"www-authenticate": 'Bearer realm="chat"'}
        return Problem(title="", status=401, detail=exc.detail), headers
    if isinstance(exc, NotFound):
        return Problem(title="", status=404, detail=exc.detail), {}
    if isinstance(exc, RateLimited):
        headers = rate_limit_headers(limit=exc.limit, remaining=0, reset_after=exc.reset_after)
        headers["retry-after"] = str(max(1, math.ceil(exc.retry_after)))
        return Problem(title="", status=429, detail=exc.detail), headers
    if isinstance(exc, DependencyUnavailable):
        problem = Problem(title="", status=503, detail=exc.detail, dependency=exc.dependency)
        return problem, {"retry-after": "1"}
    if isinstance(exc, Draining):
        return Problem(title="", status=503, detail=exc.detail), {"retry-after": "1"}
    if isinstance(exc, AllProvidersFailed):
        client_error = exc.client_error
        if client_error is not None:
            return _provider_problem(client_error)
        # the last provider tried and its error: a caller (and the lab's report) sees the
        # 503 came from the providers, not from the service itself
        last = exc.errors[-1] if exc.errors else None
        problem = Problem(
            title="",
            status=503,
            detail=exc.detail,
            provider=last.provider if last is not None else None,
            kind=last.kind if last is not None else None,
        )
        return problem, {"retry-after": "1"}
    if isinstance(exc, ProviderError):
        return _provider_problem(exc)
    if isinstance(exc, StreamInterrupted):
        return Problem(title="", status=502, detail=exc.detail), {}
    return Problem(title="", status=500, detail=exc.detail), {}


_PROVIDER_STATUS = {"bad_request": 400, "context_length": 400, "not_found": 422}


def _provider_problem(exc: ProviderError) -> tuple[Problem, dict[str, str]]:
    status = _PROVIDER_STATUS.get(exc.kind, 503 if exc.retryable else 502)
    field = "model" if exc.kind == "not_found" else "messages" if status == 400 else None
    problem = Problem(
        title="",
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
        key = str(item.get("key") or "")
        message = str(item.get("message", "invalid value"))
        if key == "data" and _is_missing(message):  # no body at all: ``data`` is absent
            errors.append(FieldError("body", _EMPTY_BODY))
            continue
        errors.append(FieldError(_field_of(key, message), message))
    if not errors:
        errors.append(FieldError("body", str(exc.detail)))
    first = errors[0]
    return Problem(
        title="",
        status=400,
        detail=f"{first.field}: {first.reason}",
        field=first.field,
        errors=tuple(errors),
    )


def _is_missing(message: str) -> bool:
    """Litestar's words for an absent ``data`` argument (a KeyError, or msgspec's)."""
    return message == "'data'" or "missing required field `data`" in message


def _field_of(key: str, message: str) -> str:
    """The field a validation message is about: its path, the field it names, else body."""
    path = _PATH_IN_MESSAGE.search(message)
    if path and path.group(1):
        return path.group(1)
    if key and key != "data":
        return key
    named = _FIELD_IN_MESSAGE.search(message)
    return named.group(1) if named else "body"


_WHEN = {
    400: "Malformed request: invalid JSON or UTF-8, an empty body, a wrong type, a missing or "
    "unknown field, an out-of-range parameter, a malformed cursor; `field` and `errors` "
    "name it",
    401: "Missing or unknown API key (`WWW-Authenticate: Bearer`)",
    404: "No such conversation for this caller",
    413: "Request body larger than `CHAT_MAX_BODY_BYTES`",
    422: "Well-formed but unacceptable input (empty or too long message, unknown model, "
    "max_tokens above the limit, too many turns); `field` names it",
    429: "Over the key's rate limit; `Retry-After` and `RateLimit-*` say when to retry",
    502: "A provider answered with an error the service cannot retry",
    503: "A fail-closed dependency (`dependency`) or every provider is unavailable, or the "
    "service is draining; `Retry-After` is set",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses=`` for a route: each status as ``application/problem+json``."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=f"{title_of(status)}: {_WHEN.get(status, title_of(status))}",
            generate_examples=False,
        )
        for status in statuses
    }


def problem_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Litestar exception handler: every error becomes problem+json."""
    problem, headers = to_problem(exc)
    if problem.status >= 500 and not isinstance(exc, ServiceError):
        log_unexpected(request, exc)
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


def log_unexpected(request: Request[Any, Any, Any], exc: Exception) -> None:
    """Log an error no mapping expected (a 500), with its traceback, once."""
    get_logger("service.api").error(
        "unhandled_error",
        route=request.scope.get("path_template", ""),
        error=type(exc).__name__,
        exc_info=exc,
    )
