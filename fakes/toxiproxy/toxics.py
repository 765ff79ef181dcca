"""Toxic definitions: the API object, its JSON, and the pure arithmetic each toxic uses.

A toxic is ``{"name", "type", "stream", "toxicity", "attributes"}`` exactly as Toxiproxy 2.x
renders it. Attributes are integers with Toxiproxy's units and defaults (all 0):

==========  =========================================================================
type        attributes
==========  =========================================================================
latency     ``latency`` ms, ``jitter`` ms (delay is latency +/- jitter)
bandwidth   ``rate`` KB/s (1 KB = 1000 bytes; 0 or less = unlimited)
slow_close  ``delay`` ms before the close is passed on
timeout     ``timeout`` ms, then close; 0 = drop data and never close
reset_peer  ``timeout`` ms after the first data, then TCP RST
slicer      ``average_size`` bytes, ``size_variation`` bytes, ``delay`` microseconds
limit_data  ``bytes`` transmitted, then close
==========  =========================================================================
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final, Literal

from fakes.toxiproxy.errors import (
    BAD_REQUEST_BODY,
    INVALID_STREAM,
    INVALID_TOXIC_TYPE,
)

__all__ = [
    "ATTRIBUTES",
    "Direction",
    "Toxic",
    "jittered_delay_ms",
    "parse_direction",
    "parse_toxic",
    "slice_bounds",
    "update_toxic",
]

Direction = Literal["upstream", "downstream"]

ATTRIBUTES: Final[dict[str, tuple[str, ...]]] = {
    "latency": ("latency", "jitter"),
    "bandwidth": ("rate",),
    "slow_close": ("delay",),
    "timeout": ("timeout",),
    "reset_peer": ("timeout",),
    "slicer": ("average_size", "size_variation", "delay"),
    "limit_data": ("bytes",),
}


@dataclass(slots=True, eq=False)
class Toxic:
    """One toxic on a proxy. ``revision`` grows on every update so links redraw toxicity."""

    name: str
    type: str
    stream: str
    direction: Direction
    toxicity: float
    attributes: dict[str, int] = field(default_factory=dict)
    revision: int = 0

    def attr(self, key: str) -> int:
        """An attribute's value (0 when never set)."""
        return self.attributes.get(key, 0)

    def to_json(self) -> dict[str, object]:
        """Toxiproxy's JSON for this toxic (attributes first, as Go orders them)."""
        toxicity: float | int = self.toxicity
        if float(toxicity).is_integer():
            toxicity = int(toxicity)
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": toxicity,
        }


def parse_direction(stream: str) -> Direction:
    """``upstream``/``downstream`` (any case), else the API's invalid-stream error."""
    lowered = stream.lower()
    if lowered == "upstream":
        return "upstream"
    if lowered == "downstream":
        return "downstream"
    raise INVALID_STREAM


def _string(body: dict[str, object], key: str, default: str) -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BAD_REQUEST_BODY.joined(f"field {key} must be a string")
    return value


def _toxicity(value: object, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BAD_REQUEST_BODY.joined("field toxicity must be a number")
    return float(value)


def _attributes(kind: str, raw: object, current: dict[str, int]) -> dict[str, int]:
    """``current`` overlaid with the known integer attributes in ``raw`` (unknown keys ignored)."""
    result = dict(current)
    if raw is None:
        return result
    if not isinstance(raw, dict):
        raise BAD_REQUEST_BODY.joined("field attributes must be an object")
    for key in ATTRIBUTES[kind]:
        if key not in raw or raw[key] is None:
            continue
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise BAD_REQUEST_BODY.joined(f"attribute {key} must be an integer")
        result[key] = value
    return result


def parse_toxic(body: object) -> Toxic:
    """A new toxic from a create request, with Toxiproxy's defaults (``downstream``,
    toxicity 1.0, name ``<type>_<stream>``); ``ApiError`` on bad input."""
    if not isinstance(body, dict):
        raise BAD_REQUEST_BODY.joined("expected a JSON object")
    stream = _string(body, "stream", "downstream")
    name = _string(body, "name", "")
    kind = _string(body, "type", "")
    toxicity = _toxicity(body.get("toxicity"), 1.0)
    direction = parse_direction(stream)
    if not name:
        name = f"{kind}_{stream}"
    if kind not in ATTRIBUTES:
        raise INVALID_TOXIC_TYPE
    defaults = dict.fromkeys(ATTRIBUTES[kind], 0)
    attributes = _attributes(kind, body.get("attributes"), defaults)
    return Toxic(name, kind, stream, direction, toxicity, attributes)


def update_toxic(toxic: Toxic, body: object) -> None:
    """Apply an update request in place: given attributes and toxicity change, the rest stays."""
    if not isinstance(body, dict):
        raise BAD_REQUEST_BODY.joined("expected a JSON object")
    attributes = _attributes(toxic.type, body.get("attributes"), toxic.attributes)
    toxicity = _toxicity(body.get("toxicity"), toxic.toxicity)
    toxic.attributes = attributes
    toxic.toxicity = toxicity
    toxic.revision += 1


def jittered_delay_ms(latency: int, jitter: int, rng: random.Random) -> int:
    """``latency`` plus a uniform jitter in ``[-jitter, jitter)`` milliseconds."""
    if jitter > 0:
        return latency + rng.randrange(-jitter, jitter)
    return latency


def slice_bounds(
    length: int, average: int, variation: int, rng: random.Random
) -> list[tuple[int, int]]:
    """Split ``[0, length)`` into consecutive pieces of about ``average`` bytes (+/- variation)
    by halving, as Toxiproxy's slicer does; every piece is non-empty."""
    if length <= 0:
        return []
    average = max(average, 1)
    pieces: list[tuple[int, int]] = []
    stack = [(0, length)]
    while stack:
        start, end = stack.pop()
        if (end - start) - average <= variation or end - start < 2:
            pieces.append((start, end))
            continue
        mid = start + (end - start) // 2
        if variation > 0:
            mid += rng.randrange(-variation, variation)
        mid = min(max(mid, start + 1), end - 1)
        stack.append((mid, end))
        stack.append((start, mid))
    return pieces
