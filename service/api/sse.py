"""Server-Sent Events framing (``text/event-stream``)."""

from __future__ import annotations

__all__ = ["SSE_HEADERS", "sse_data", "sse_event"]

SSE_HEADERS = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
}
"""Headers every event stream carries. The content type is explicit because Litestar
gives a handler's default media type precedence over the ``Stream``'s own."""


def sse_event(event: bytes, data: bytes) -> bytes:
    """One named event; ``data`` is one line of JSON."""
    return b"event: " + event + b"\ndata: " + data + b"\n\n"


def sse_data(data: bytes) -> bytes:
    """One unnamed event (the OpenAI streaming format)."""
    return b"data: " + data + b"\n\n"
