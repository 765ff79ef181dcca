"""HTTP telemetry: request metrics, request ids and the one access-log line per request.

``TelemetryMiddleware`` (outermost of the app's middleware) gives each request an id (the
caller's ``X-Request-ID`` when it is sane, else a new one), echoes it in the response,
binds it to every log line of the request, and when the response (or stream) has ended
names the replica in ``x-chat-replica`` (``instance``: ``CHAT_INSTANCE``, else
``host:port``), counts it by route template, method and status, observes its latency and
writes one JSON line: request id, user id, route, method, status, latency, provider,
attempts, cache.
``metrics_handler`` serves ``GET /metrics``. It runs inside Litestar's routing, so a
path matching no route (404/405 from the router) is neither counted nor logged here.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from litestar import Response, get
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.telemetry.context import RequestRecord, reset_record, set_record
from service.telemetry.logging import get_logger, write_info_line
from service.telemetry.metrics import ServiceMetrics

__all__ = ["TelemetryMiddleware", "metrics_handler"]

_ACCESS_LOGGER = "service.access"
_SANE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")


class TelemetryMiddleware:
    """ASGI middleware; see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServiceMetrics,
        access_log: bool = True,
        instance: str = "",
    ) -> None:
        self.app = app
        self._ids: list[tuple[bytes, bytes]] = (
            [(b"x-chat-replica", instance.encode("latin-1", "replace"))] if instance else []
        )
        self.metrics = metrics
        self.access_log = access_log
        self._log = get_logger(_ACCESS_LOGGER)
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        raw_id = _request_id(scope)
        record = RequestRecord(raw_id.decode())
        token = set_record(record)
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", raw_id),
                    *self._ids,
                ]
            await send(message)

        m = self.metrics
        m.http_in_flight.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            m.http_in_flight.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope["method"]
            key = (route, method, str(status))
            children = self._children.get(key)
            if children is None:  # label lookups cost more than the updates: memoize them
                children = (m.http_requests.labels(*key), m.http_duration.labels(route, method))
                self._children[key] = children
            children[0].inc()
            children[1].observe(elapsed)
            if self.access_log:
                user: Any = scope.get("user")
                fields = {
                    "method": method,
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 3),
                    "user_id": getattr(user, "id", None),
                    "provider": record.provider,
                    "model": record.model,
                    "attempts": record.attempts,
                    "cached": record.cached,
                }
                # the line structlog would write, without its processor chain
                if not write_info_line(_ACCESS_LOGGER, "request", fields):
                    self._log.info("request", **fields)
            reset_record(token)


def _request_id(scope: Scope) -> bytes:
    for key, value in scope["headers"]:
        if key == b"x-request-id" and _SANE_ID.match(value):
            return bytes(value)
    return secrets.token_hex(16).encode()


def metrics_handler(metrics: ServiceMetrics, *, path: str = "/metrics") -> HTTPRouteHandler:
    """The ``GET /metrics`` route (Prometheus text format, no auth)."""

    @get(
        path,
        operation_id="get_metrics",
        summary="Prometheus metrics",
        tags=["health"],
        opt={"public": True},
        sync_to_thread=False,
        include_in_schema=False,
    )
    def get_metrics() -> Response[bytes]:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return get_metrics
