"""Request bodies decoded the way Toxiproxy's Go ``encoding/json`` decodes them.

Toxiproxy reads each body with ``json.NewDecoder(body).Decode(&v)`` into a Go struct, so:

- only the first JSON value counts (trailing bytes are ignored), an empty body is ``EOF``,
  a truncated one ``unexpected EOF``, and syntax errors read like Go's scanner
  (``invalid character 'x' looking for beginning of value``, worded in ``goscan``);
- ``null`` leaves a struct (or a field) untouched;
- object keys match struct fields case-insensitively (the last matching key
  sets the field); unknown keys are ignored;
- a value of the wrong JSON kind fails with Go's ``UnmarshalTypeError`` text
  (``json: cannot unmarshal string into Go struct field Proxy.enabled of type bool``),
  reporting the first such error in document order;
- nesting past the limit is Go's ``invalid character '[' exceeded max depth``. Go's limit is
  10000 levels; ours is ``MAX_DEPTH`` (128), because Python's decoder recurses per level and
  would raise ``RecursionError`` long before 10000 (no Toxiproxy body nests more than 3).

``decode`` parses a body; ``decode_struct`` checks one object against a field table.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from typing import Final, Literal, cast

from fakes.toxiproxy.errors import BAD_REQUEST_BODY, ApiError
from fakes.toxiproxy.goscan import number_tail, quote_char, syntax_message
from fakes.toxiproxy.nesting import too_deep

__all__ = [
    "MAX_DEPTH",
    "GoType",
    "decode",
    "decode_struct",
    "float32",
    "kind_of",
    "type_error",
]

GoType = Literal["string", "bool", "float32", "int64", "int", "struct"]

MAX_DEPTH: Final = 128
_INT64: Final = (-(1 << 63), (1 << 63) - 1)
_FLOAT32_MAX: Final = 3.4028234663852886e38


class _Float(float):
    """A JSON number with a fraction or exponent, remembering its literal text."""

    literal: str

    def __new__(cls, text: str) -> _Float:
        value = super().__new__(cls, text)
        value.literal = text
        return value


def kind_of(value: object, *, numeric_target: bool = False) -> str:
    """Go's name for a JSON value's kind in a type error (``number 1.5`` for numbers that do
    not fit a numeric field)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, _Float):
        return f"number {value.literal}" if numeric_target else "number"
    if isinstance(value, int):
        return f"number {value}" if numeric_target else "number"
    return "null"


def type_error(value: object, target: str, go_type: str, *, numeric: bool = False) -> ApiError:
    """``bad request body: json: cannot unmarshal <kind> into <target> of type <go_type>``."""
    kind = kind_of(value, numeric_target=numeric)
    return BAD_REQUEST_BODY.joined(f"json: cannot unmarshal {kind} into {target} of type {go_type}")


def float32(value: float) -> float:
    """``value`` rounded to float32, as the shortest decimal that rounds back to it (what Go
    prints for a float32: 0.123456789 is stored and shown as 0.12345679)."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return float(text)
    return float(single)


def _fits(value: object, go_type: GoType) -> bool:
    if go_type == "string":
        return isinstance(value, str)
    if go_type == "bool":
        return isinstance(value, bool)
    if go_type == "struct":
        return isinstance(value, dict)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if go_type == "float32":
        return abs(float(value)) <= _FLOAT32_MAX
    return not isinstance(value, float) and _INT64[0] <= value <= _INT64[1]


def decode_struct(
    body: Mapping[str, object],
    fields: Mapping[str, tuple[GoType, str] | GoType],
    *,
    struct: str,
) -> dict[str, object]:
    """The fields of ``body`` that Go would set on a struct with ``fields`` (JSON name ->
    Go type), keyed by their JSON names; ``null`` values and unknown keys are skipped.
    A nested struct field is ``("struct", "<its Go type name>")`` and takes any object.
    Raises Go's type error for the first value (in document order) of the wrong kind;
    ``struct`` is the Go struct name used in that message (``Proxy``, ``LatencyToxic``)."""
    folded = {name.casefold(): name for name in fields}
    result: dict[str, object] = {}
    for key, value in body.items():
        name = key if key in fields else folded.get(key.casefold())
        if name is None or value is None:
            continue
        spec = fields[name]
        go_type, type_name = spec if isinstance(spec, tuple) else (spec, spec)
        if not _fits(value, go_type):
            numeric = go_type in ("float32", "int64", "int")
            where = f"Go struct field {struct}.{name}"
            raise type_error(value, where, type_name, numeric=numeric)
        if go_type == "float32":
            value = float32(float(cast(float, value)))
        result[name] = value
    return result


_SURROGATES: Final = re.compile("[\ud800-\udfff]")


class _Constant:
    """``NaN``/``Infinity``/``-Infinity``: Python reads them, Go's scanner does not."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def message(self) -> str:
        if self.name.startswith("-"):
            return "invalid character 'I' in numeric literal"
        return f"invalid character '{self.name[0]}' looking for beginning of value"


def _clean(value: object) -> object:
    """``value`` with Go's repairs: lone surrogates and undecodable bytes in strings become
    U+FFFD; a NaN/Infinity anywhere is the syntax error Go reports for it."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, _Constant):
        raise BAD_REQUEST_BODY.joined(value.message())
    if isinstance(value, list):
        items: list[object] = []
        for item in value:  # a loop, not a comprehension: one stack frame per level
            items.append(_clean(item))
        return items
    if isinstance(value, dict):
        members: dict[str, object] = {}
        for key, item in value.items():
            members[_SURROGATES.sub("\ufffd", key)] = _clean(item)
        return members
    return value


_DECODER: Final = json.JSONDecoder(parse_float=_Float, parse_constant=_Constant)


def decode(raw: bytes) -> object:
    """The first JSON value in ``raw`` (the rest is ignored, as Go's ``Decoder`` does);
    ``ApiError`` 400 ``bad request body: ...`` with Go's wording otherwise."""
    text = raw.decode(errors="surrogateescape")
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text):
        raise BAD_REQUEST_BODY.joined("EOF")
    deep = too_deep(text, start, limit=MAX_DEPTH)
    if deep is not None:
        _refuse_deep(text, start, deep)
    try:
        value, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise BAD_REQUEST_BODY.joined(syntax_message(error, text)) from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        tail = number_tail(text, end)
        if tail is not None:
            raise BAD_REQUEST_BODY.joined(tail)
    return _clean(value)


def _refuse_deep(text: str, start: int, deep: int) -> None:
    """Raise Go's max-depth error for the bracket at ``deep``, or the syntax error Go's scanner
    meets before it (it reads in order); the text before ``deep`` nests ``MAX_DEPTH`` levels
    at most, so decoding it cannot exhaust the stack."""
    try:
        _DECODER.raw_decode(text[:deep], start)
    except json.JSONDecodeError as error:
        if error.pos < deep:
            raise BAD_REQUEST_BODY.joined(syntax_message(error, text)) from None
    raise BAD_REQUEST_BODY.joined(f"invalid character {quote_char(text[deep])} exceeded max depth")
