"""msgpack values in Redis: one decode-or-miss rule for every cache adapter."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

__all__ = ["decode_or_miss"]

T = TypeVar("T")


def decode_or_miss(decoder: msgspec.msgpack.Decoder[T], raw: Any) -> T | None:
    """``raw`` decoded, or ``None`` (a miss) when it is absent or no longer decodes.

    ``None`` from Redis is a miss; ``str`` means a client built with
    ``decode_responses=True`` (not ours); an entry of an older shape is a miss too, so
    a deploy that changes a cached type never fails requests on old entries.
    """
    if not isinstance(raw, bytes):
        return None
    try:
        return decoder.decode(raw)
    except msgspec.DecodeError:
        return None
