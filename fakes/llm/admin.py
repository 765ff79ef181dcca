"""The fault admin API under ``/_fake``: bodies in, (status, headers, body) out.

``GET /_fake/faults`` shows the configuration in force, ``PUT`` replaces it (idempotent),
``DELETE`` clears it, ``POST /_fake/reset`` clears faults and state, ``GET /_fake/health``
answers while the fake runs. Errors are RFC 9457 problem+json naming the offending field.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from fakes.llm.engine import FaultEngine
from fakes.llm.faults import decode_config
from fakes.llm.wire import NESTED_TOO_DEEPLY, describe_utf8_error

__all__ = ["PREFIX", "AdminResponse", "handle_admin", "problem"]

PREFIX = "/_fake"
AdminResponse = tuple[int, list[tuple[str, str]], bytes]

_JSON = [("content-type", "application/json")]
_PROBLEM = [("content-type", "application/problem+json")]
_FIELD = re.compile(r" - at `([^`]+)`")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


def problem(status: int, title: str, detail: str, *, field: str | None = None) -> AdminResponse:
    """A problem+json response."""
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if field is not None:
        body["field"] = field
    return status, list(_PROBLEM), msgspec.json.encode(body)


def _not_allowed(method: str, path: str, allow: str) -> AdminResponse:
    """A 405 problem with the ``Allow`` header listing the methods ``path`` takes."""
    status, headers, body = problem(405, "Method not allowed", f"{method} {path}: use {allow}")
    headers.append(("allow", allow))
    return status, headers, body


def _invalid(exc: msgspec.DecodeError) -> AdminResponse:
    message = str(exc)
    match = _FIELD.search(message)
    field = match.group(1) if match else "$"
    unknown = _UNKNOWN.search(message)
    if unknown is not None:
        field = f"{field}.{unknown.group(1)}"
    if not isinstance(exc, msgspec.ValidationError):
        field = None  # not JSON at all
    return problem(400, "Invalid fault configuration", message, field=field)


def handle_admin(
    engine: FaultEngine,
    method: str,
    path: str,
    body: bytes,
    *,
    vendor: str,
    on_reset: Callable[[], None] | None = None,
) -> AdminResponse:
    """Serve one admin request (``on_reset`` is called after a reset, when callable)."""
    route = path[len(PREFIX) :].rstrip("/")
    if route == "/faults":
        if method == "GET":
            return 200, list(_JSON), msgspec.json.encode(engine.config)
        if method == "PUT":
            try:
                config = decode_config(body or b"{}")
            except msgspec.DecodeError as exc:
                return _invalid(exc)
            except UnicodeDecodeError as exc:
                return problem(400, "Invalid fault configuration", describe_utf8_error(exc))
            except RecursionError:
                return problem(400, "Invalid fault configuration", NESTED_TOO_DEEPLY)
            except (ValueError, MemoryError) as exc:  # anything else decoding raises
                detail = f"the body does not decode: {type(exc).__name__}: {exc}"
                return problem(400, "Invalid fault configuration", detail)
            engine.configure(config)
            return 200, list(_JSON), msgspec.json.encode(engine.config)
        if method == "DELETE":
            engine.reset()
            return 204, [], b""
        return _not_allowed(method, path, "GET, PUT, DELETE")
    if route == "/reset":
        if method != "POST":
            return _not_allowed(method, path, "POST")
        engine.reset()
        if on_reset is not None:
            on_reset()
        return 204, [], b""
    if route == "/health":
        payload = {"status": "ok", "vendor": vendor, "seed": engine.seed}
        return 200, list(_JSON), msgspec.json.encode(payload)
    return problem(404, "Not found", f"no admin endpoint {path}")
