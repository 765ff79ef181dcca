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
noop        none: passes data untouched
==========  =========================================================================
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal, cast

from fakes.toxiproxy.errors import INVALID_STREAM, INVALID_TOXIC_TYPE, TOXIC_EXISTS
from fakes.toxiproxy.gojson import GoType, decode_struct, type_error

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
    "noop": (),
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


# Go's struct names for each toxic's attributes, and their integer types (for its errors).
_GO_STRUCTS: Final[dict[str, str]] = {
    "latency": "LatencyToxic",
    "bandwidth": "BandwidthToxic",
    "slow_close": "SlowCloseToxic",
    "timeout": "TimeoutToxic",
    "reset_peer": "ResetToxic",
    "slicer": "SlicerToxic",
    "limit_data": "LimitDataToxic",
    "noop": "NoopToxic",
}
_WRAPPER_FIELDS: Final[dict[str, tuple[GoType, str] | GoType]] = {
    "name": "string",
    "type": "string",
    "stream": "string",
    "toxicity": "float32",
    "attributes": ("struct", "toxics.NoopToxic"),
}
_UPDATE_TYPE: Final = (
    'struct { Attributes interface {} "json:\\"attributes\\""; '
    'Toxicity float32 "json:\\"toxicity\\"" }'
)


def _attributes(kind: str, raw: object, current: dict[str, int]) -> dict[str, int]:
    """``current`` overlaid with the attributes Go would decode from ``raw`` into the
    toxic's struct (integers; unknown keys ignored; keys match case-insensitively)."""
    result = dict(current)
    if not isinstance(raw, dict):
        return result
    go_type: GoType = "int" if kind == "slicer" else "int64"
    fields = dict.fromkeys(ATTRIBUTES[kind], go_type)
    decoded = decode_struct(raw, fields, struct=f"{_GO_STRUCTS[kind]}.attributes")
    result.update({key: cast(int, value) for key, value in decoded.items()})
    return result


def parse_toxic(body: object, *, taken: Callable[[str], bool] = lambda name: False) -> Toxic:
    """A new toxic from a create request, with Toxiproxy's defaults (``downstream``,
    toxicity 1.0, name ``<type>_<stream>``); ``ApiError`` on bad input, checked in
    Toxiproxy's order: body, stream, type, name ``taken`` (409), then attributes."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise type_error(body, "Go value", "toxics.ToxicWrapper")
    fields = decode_struct(body, _WRAPPER_FIELDS, struct="ToxicWrapper")
    stream = str(fields.get("stream", "downstream"))
    kind = str(fields.get("type", ""))
    toxicity = cast(float, fields.get("toxicity", 1.0))
    direction = parse_direction(stream)
    name = str(fields.get("name", "")) or f"{kind}_{stream}"
    if kind not in ATTRIBUTES:
        raise INVALID_TOXIC_TYPE
    if taken(name):
        raise TOXIC_EXISTS
    defaults = dict.fromkeys(ATTRIBUTES[kind], 0)
    attributes = _attributes(kind, fields.get("attributes"), defaults)
    return Toxic(name, kind, stream, direction, toxicity, attributes)


def update_toxic(toxic: Toxic, body: object) -> None:
    """Apply an update request in place: given attributes and toxicity change, the rest
    stays (``null`` changes nothing). Either the whole update applies or, on a 400,
    nothing does."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise type_error(body, "Go value", _UPDATE_TYPE)
    spec: dict[str, tuple[GoType, str] | GoType] = {
        "attributes": ("struct", f"toxics.{_GO_STRUCTS[toxic.type]}"),
        "toxicity": "float32",
    }
    fields = decode_struct(body, spec, struct="")
    attributes = _attributes(toxic.type, fields.get("attributes"), toxic.attributes)
    toxic.attributes = attributes
    toxic.toxicity = cast(float, fields.get("toxicity", toxic.toxicity))
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
