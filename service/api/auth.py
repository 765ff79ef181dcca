"""Bearer-key authentication and per-key rate limiting, as one ASGI middleware.

Every route not marked ``opt={"public": True}`` (nor under ``/docs``) needs
``Authorization: Bearer <key>``. The key is hashed (SHA-256) and looked up among the
configured hashes; the raw key is never stored or logged. The caller's ``User`` lands in
``scope["user"]`` (Litestar's ``request.user``). Then ``Admission`` counts the request;
an admitted response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset``. A refusal (401, 429, or 503 when the limiter is down under
fail-closed) is answered right here as problem+json (OpenAI's error shape on a route with
``opt={"errors": "openai"}``), before the body is read.

A route with ``opt={"admission": "deferred"}`` (the stateless completions) gets its
admission as a ``PendingAdmission`` in ``scope["state"][ADMISSION_KEY]`` instead, and
decides it together with its response-cache lookup (one Redis round trip). Whatever the
handler did, the admission is decided before the response starts: a request refused
then (invalid, say) is answered with the refusal, so every request is still counted and
a caller over its limit always gets 429, but the body is read first. 401 stays immediate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import rate_limit_headers, send_problem
from service.api.openai_errors import OPENAI_DIALECT, send_openai_error
from service.domain.admission import Admission, PendingAdmission
from service.domain.errors import ServiceError, Unauthorized
from service.domain.types import RateLimitDecision, User

__all__ = ["ADMISSION_KEY", "AuthMiddleware", "Authenticator"]

ADMISSION_KEY = "chat_admission"
"""Where a deferred route finds its ``PendingAdmission``: ``scope["state"][ADMISSION_KEY]``."""

_PREFIX = b"bearer "


class Authenticator:
    """Maps a presented bearer key to its ``User`` through the key's SHA-256."""

    def __init__(self, users_by_hash: Mapping[str, User]) -> None:
        self._users = dict(users_by_hash)

    def authenticate(self, authorization: bytes | None) -> tuple[User, str]:
        """The caller and a key id (a hash prefix, for rate limiting); ``Unauthorized``."""
        if not authorization:
            raise Unauthorized("missing Authorization: Bearer <key> header")
        if authorization[:7].lower() != _PREFIX:
            raise Unauthorized("Authorization must use the Bearer scheme")
        key = authorization[7:].strip()
        digest = hashlib.sha256(key).hexdigest()
        user = self._users.get(digest)
        # The lookup is on the digest, so its timing tells nothing about valid keys.
        if user is None:
            raise Unauthorized("invalid API key")
        return user, digest[:16]


class AuthMiddleware:
    """ASGI middleware: authenticate, admit, add ``RateLimit-*`` headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        admission: Admission,
        public_prefixes: tuple[str, ...] = ("/docs",),
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.admission = admission
        self.public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or _is_public(scope)
            or scope["path"].startswith(self.public_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        try:
            user, key_id = self.authenticator.authenticate(_header(scope, b"authorization"))
        except ServiceError as exc:
            await _send_error(scope, send, exc)
            return
        scope["user"] = user
        if _defers_admission(scope):
            await self._deferred(
                scope, receive, send, PendingAdmission(self.admission, key_id, user)
            )
            return
        try:
            decision = await self.admission.admit(key_id, user)
        except ServiceError as exc:
            await _send_error(scope, send, exc)
            return
        if decision is None:
            await self.app(scope, receive, send)
            return
        extra = _headers(decision)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _deferred(
        self, scope: Scope, receive: Receive, send: Send, pending: PendingAdmission
    ) -> None:
        """Run the route with its admission pending (the handler decides it with its
        cache lookup); decide it at the response's start if the handler did not, and
        answer the refusal then instead of the handler's response."""
        scope["state"][ADMISSION_KEY] = pending
        refused = False

        async def send_after_admission(message: Message) -> None:
            nonlocal refused
            if refused:
                return
            if message["type"] == "http.response.start":
                decided = pending.resolved
                try:
                    decision = await pending.resolve()
                except ServiceError as exc:
                    if decided:  # the handler met the refusal: this response answers it
                        await send(message)
                        return
                    refused = True
                    await _send_error(scope, send, exc)
                    return
                if decision is not None:
                    message["headers"] = [*message.get("headers", ()), *_headers(decision)]
            await send(message)

        await self.app(scope, receive, send_after_admission)


def _headers(decision: RateLimitDecision) -> list[tuple[bytes, bytes]]:
    return [
        (k.encode(), v.encode())
        for k, v in rate_limit_headers(
            limit=decision.limit, remaining=decision.remaining, reset_after=decision.reset_after
        ).items()
    ]


async def _send_error(scope: Scope, send: Send, exc: BaseException) -> None:
    """Answer ``exc`` in the route's error dialect: problem+json, or OpenAI's."""
    handler: Any = scope.get("route_handler")
    if handler is not None and handler.opt.get("errors") == OPENAI_DIALECT:
        await send_openai_error(send, exc)
    else:
        await send_problem(send, exc)


def _defers_admission(scope: Scope) -> bool:
    handler: Any = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("admission") == "deferred")


def _is_public(scope: Scope) -> bool:
    handler: Any = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("public"))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None
