"""The record of the request being served, filled in as it runs, for its access-log line.

The HTTP middleware puts a fresh ``RequestRecord`` in a context variable; observers update
it (provider, attempts, cache). Tasks started by the request (a stream, a hedged race)
inherit the same record object, so their updates land in it too.
"""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["RequestRecord", "current_record"]


class RequestRecord:
    """What one request did, for its log line."""

    __slots__ = ("attempts", "cached", "model", "provider", "request_id")

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.provider: str | None = None
        self.model: str | None = None
        self.cached: bool | None = None
        self.attempts = 0


_RECORD: ContextVar[RequestRecord | None] = ContextVar("chat_request_record", default=None)


def current_record() -> RequestRecord | None:
    """The record of the request this code runs for, if any."""
    return _RECORD.get()


def set_record(record: RequestRecord | None) -> object:
    """Make ``record`` current; returns a token for ``reset_record``."""
    return _RECORD.set(record)


def reset_record(token: object) -> None:
    _RECORD.reset(token)  # type: ignore[arg-type]
