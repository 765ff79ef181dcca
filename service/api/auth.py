"""Bearer-key authentication and per-key rate limiting, as one ASGI middleware.

Every route not marked ``opt={"public": True}`` (nor under ``/docs``) needs
``Authorization: Bearer <key>``. The key is hashed (SHA-256) and looked up among the
configured hashes; the raw key is never stored or logged. The caller's ``User`` lands in
``scope["user"]`` (Litestar's ``request.user``). Then ``Admission`` counts the request;
an admitted response carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset``. A refusal (401, 429, or 503 when the limiter is down under
fail-closed) is answered right here as problem+json, before the body is read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import rate_limit_headers, send_problem
from service.domain.admission import Admission
from service.domain.errors import ServiceError, Unauthorized
from service.domain.types import User

__all__ = ["AuthMiddleware", "Authenticator"]

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
            scope["user"] = user
            decision = await self.admission.admit(key_id, user)
        except ServiceError as exc:
            await send_problem(send, exc)
            return
        if decision is None:
            await self.app(scope, receive, send)
            return
        extra = [
            (k.encode(), v.encode())
            for k, v in rate_limit_headers(
                limit=decision.limit,
                remaining=decision.remaining,
                reset_after=decision.reset_after,
            ).items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_public(scope: Scope) -> bool:
    handler: Any = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("public"))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None
