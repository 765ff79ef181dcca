"""Pieces every conversation store shares: page cursors, limits, a strictly rising clock,
the stored form of an idempotent reply."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import msgspec

from service.domain.errors import BadRequest
from service.domain.types import Completion, Conversation, ConversationPage

__all__ = [
    "DEPENDENCY",
    "MAX_PAGE_SIZE",
    "RisingClock",
    "clamp_limit",
    "decode_completion",
    "decode_cursor",
    "encode_completion",
    "encode_cursor",
    "new_conversation_id",
    "page_of",
    "parse_conversation_id",
]

DEPENDENCY = "store"
"""The ``dependency`` label every store puts on ``DependencyUnavailable``."""

MAX_PAGE_SIZE = 100
"""``list_conversations`` never returns more than this many items per page."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_completion_encoder = msgspec.msgpack.Encoder()
_completion_decoder = msgspec.msgpack.Decoder(Completion)


def encode_completion(completion: Completion) -> bytes:
    """The bytes an idempotency key's reply is stored as (msgpack)."""
    return _completion_encoder.encode(completion)


def decode_completion(raw: bytes) -> Completion:
    """The reply stored by :func:`encode_completion`."""
    return _completion_decoder.decode(raw)


def clamp_limit(limit: int) -> int:
    """A page size within ``1..MAX_PAGE_SIZE``."""
    return max(1, min(limit, MAX_PAGE_SIZE))


def new_conversation_id() -> str:
    """A fresh conversation id: a random UUID in its canonical text form."""
    return str(uuid.uuid4())


def parse_conversation_id(conversation_id: str) -> uuid.UUID | None:
    """The UUID behind ``conversation_id``, or ``None`` when it is not one (so no row
    can match it: callers answer "not found")."""
    try:
        return uuid.UUID(conversation_id)
    except (ValueError, TypeError):
        return None


def encode_cursor(updated_at: datetime, conversation_id: str) -> str:
    """An opaque cursor pointing just after ``(updated_at, id)`` in newest-first order."""
    micros = (updated_at - _EPOCH) // timedelta(microseconds=1)
    raw = msgspec.json.encode((micros, conversation_id))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The ``(updated_at, id)`` a cursor points after; ``BadRequest(field="cursor")``
    when it was not made by :func:`encode_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        micros, conversation_id = msgspec.json.decode(raw, type=tuple[int, str])
        return _EPOCH + timedelta(microseconds=micros), conversation_id
    except (binascii.Error, ValueError, msgspec.DecodeError, OverflowError) as exc:
        raise BadRequest("invalid pagination cursor", field="cursor") from exc


class RisingClock:
    """UTC ``now`` that never repeats or goes back within one process, at ``resolution``.

    Two conversations created back to back get distinct ``updated_at`` values even on a
    coarse clock, so newest-first order is the order of writes.
    """

    def __init__(self, *, resolution: timedelta = timedelta(microseconds=1)) -> None:
        self._resolution = resolution
        self._last = _EPOCH

    def now(self) -> datetime:
        """The current UTC time truncated to the resolution, later than any earlier value."""
        current = datetime.now(UTC)
        current -= (current - _EPOCH) % self._resolution
        if current <= self._last:
            current = self._last + self._resolution
        self._last = current
        return current


def page_of(fetched: Sequence[Conversation], limit: int) -> ConversationPage:
    """A page from up to ``limit + 1`` conversations fetched newest first: the extra one,
    when present, only says that a next page exists (its cursor is the last item's)."""
    items = tuple(fetched[:limit])
    next_cursor = None
    if len(fetched) > limit:
        next_cursor = encode_cursor(items[-1].updated_at, items[-1].id)
    return ConversationPage(items=items, next_cursor=next_cursor)
