"""How deep a JSON text nests, found without recursion (so without exhausting the stack).

Python's ``json`` decoder recurses once per ``[``/``{``: a body of a few thousand brackets
raises ``RecursionError`` inside it. ``gojson.decode`` asks ``too_deep`` first and refuses such
a body with the error Go's scanner gives past its own limit.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["too_deep"]

# A string (escapes included, maybe unterminated) or one bracket: brackets inside strings
# never count.
_TOKENS: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def too_deep(text: str, start: int, *, limit: int) -> int | None:
    """The index of the first bracket that opens level ``limit + 1`` of the JSON value at
    ``start``, or None when that value nests ``limit`` levels or fewer.

    Only the first value counts (what follows it is not read, as Go's ``json.Decoder`` does
    not read it); the text need not be valid JSON.
    """
    if text[start : start + 1] not in ("[", "{"):
        return None  # a scalar first value: nothing nests
    if text.count("[", start) + text.count("{", start) <= limit:
        return None  # too few brackets to reach the limit: no scan
    depth = 0
    for token in _TOKENS.finditer(text, start):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > limit:
                return token.start()
        elif char in "]}":
            depth -= 1
            if depth <= 0:
                return None  # the first value ended
    return None
