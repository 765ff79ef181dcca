"""Vendor exceptions -> ``ProviderError``: one mapping for both SDKs.

Retryable: connect errors, timeouts, 408, 409, 429 (with ``retry_after`` from
``retry-after-ms`` / ``retry-after``), 5xx, Anthropic's 529 and ``overloaded_error``.
Not retryable: 400, 401, 402, 403, 404, 413, 422 and other 4xx; a 400/413 that says the
prompt exceeds the context window gets kind ``context_length``. Anything raised while a
stream is being read (after its response arrived) is kind ``stream`` (``timeout`` for a
timeout), retryable. Details never carry the vendor's text for auth errors (OpenAI's
echoes part of the key) and are cut to 200 characters otherwise.

Neither SDK is imported here (``anthropic`` alone takes about two seconds): each adapter
catches ``(its SDK's base error, *VENDOR_ERRORS)``, and the mapping looks the SDKs' classes
up among the modules already imported (an SDK's exception implies its module is loaded).
"""

from __future__ import annotations

import email.utils
import sys
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import httpx2

from service.domain.errors import ProviderError

__all__ = ["VENDOR_ERRORS", "parse_retry_after", "to_provider_error"]

_SDKS = ("openai", "anthropic")


def _sdk_classes(name: str) -> tuple[type[BaseException], ...]:
    """Class ``name`` of every SDK imported so far (none of them is imported here)."""
    found: list[type[BaseException]] = []
    for sdk in _SDKS:
        module = sys.modules.get(sdk)
        cls = getattr(module, name, None) if module is not None else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


VENDOR_ERRORS: tuple[type[Exception], ...] = (
    httpx2.HTTPError,
    httpx2.StreamError,
    aiohttp.ClientError,
    OSError,
    TimeoutError,
    ValueError,
)
"""What an SDK call may raise for a bad upstream (``ValueError``: undecodable JSON),
besides the SDK's own base error, which each adapter adds (``openai.OpenAIError``,
``anthropic.AnthropicError``). Anything else is a bug of ours and propagates unmapped."""
_CONTEXT_HINTS = (
    "context_length_exceeded",
    "maximum context length",
    "prompt is too long",
    "context window",
    "too many tokens",
)
_NOT_RETRYABLE = {401: "auth", 402: "auth", 403: "auth", 404: "not_found"}


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _body_text(body: object) -> str:
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            parts = [str(error.get(k, "")) for k in ("type", "code", "message")]
            return " ".join(p for p in parts if p)
    return str(body or "")


def _from_status(exc: Any, provider: str) -> ProviderError:
    """``exc`` is an SDK's ``APIStatusError`` (``status_code``, ``body``, ``response``)."""
    status = exc.status_code
    text = _body_text(exc.body) or str(exc)
    lowered = text.lower()
    detail = text[:200]
    retry_after = parse_retry_after(exc.response.headers)

    def error(kind: str, retryable: bool, message: str = detail) -> ProviderError:
        return ProviderError(
            f"{provider}: {status} {message}",
            provider=provider,
            kind=kind,
            retryable=retryable,
            status=status,
            retry_after=retry_after if retryable else None,
        )

    if status in _NOT_RETRYABLE:
        kind = _NOT_RETRYABLE[status]
        return error(kind, False, "authentication failed" if kind == "auth" else detail)
    if "overloaded" in lowered or status == 529:
        return error("overloaded", True)
    if status == 429:
        return error("rate_limit", True)
    if status == 408:
        return error("timeout", True)
    if status == 409 or status >= 500:
        return error("server", True)
    if status in (400, 413) and any(hint in lowered for hint in _CONTEXT_HINTS):
        return error("context_length", False)
    if 400 <= status < 500:
        return error("bad_request", False)
    return error("protocol", True)


def _refused(exc: BaseException) -> bool:
    """A refused connect somewhere in the cause chain. The SDKs' vendored aiohttp transport
    reports a refused connection as ``ConnectTimeout``; the cause tells the truth."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError | aiohttp.ClientConnectorError) and not (
            isinstance(seen, TimeoutError)
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def to_provider_error(
    exc: BaseException, *, provider: str, in_stream: bool = False
) -> ProviderError:
    """Our error for any exception an SDK call raised (``ProviderError`` passes through).

    ``in_stream``: the exception came while reading an already-opened stream.
    """
    if isinstance(exc, ProviderError):
        return exc
    if _refused(exc):
        return ProviderError(
            f"{provider}: connection refused", provider=provider, kind="connect", retryable=True
        )
    timeouts = (*_sdk_classes("APITimeoutError"), httpx2.TimeoutException, TimeoutError)
    if isinstance(exc, timeouts):
        return ProviderError(
            f"{provider}: timed out", provider=provider, kind="timeout", retryable=True
        )
    if in_stream:
        return ProviderError(
            f"{provider}: stream broke: {type(exc).__name__}",
            provider=provider,
            kind="stream",
            retryable=True,
        )
    if isinstance(exc, _sdk_classes("APIStatusError")):
        return _from_status(exc, provider)
    connection = (
        *_sdk_classes("APIConnectionError"),
        httpx2.TransportError,
        aiohttp.ClientError,
        ConnectionError,
    )
    if isinstance(exc, connection):
        return ProviderError(
            f"{provider}: connection failed: {type(exc).__name__}",
            provider=provider,
            kind="connect",
            retryable=True,
        )
    return ProviderError(
        f"{provider}: unexpected answer: {type(exc).__name__}",
        provider=provider,
        kind="protocol",
        retryable=True,
    )
