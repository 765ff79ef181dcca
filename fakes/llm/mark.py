"""Output marks: an invisible two-character suffix on every token piece a marked fake serves.

The lab gives each provider fake its own mark (0..15), so a client can tell which fake wrote
the text of an answer, and whether one answer mixes text from two providers (a stream that
failed over mid-way). A mark is two characters of a four-letter alphabet of zero-width
characters, ``ALPHABET[mark // 4] + ALPHABET[mark % 4]``, appended to each piece; the SDKs
and the service pass them through as text. The fakes' token counting ignores them
(``text.count_tokens``), since the service sends earlier marked answers back as prompts.

The load generator decodes marks with its own copy of the alphabet (``loadtests.marks``);
a unit test keeps the two equal.
"""

from __future__ import annotations

import re

__all__ = ["ALPHABET", "MARKS", "check_mark", "strip_marks", "suffix"]

ALPHABET = ("\u200b", "\u200c", "\u200d", "\u2060")
"""Zero width space, zero width non-joiner, zero width joiner, word joiner."""
MARKS = range(16)
"""The marks there are: two characters of a four-letter alphabet."""

_ANY = re.compile("[" + "".join(ALPHABET) + "]")


def check_mark(mark: int) -> int:
    """``mark`` if it is one of ``MARKS``; otherwise a ``ValueError`` (one line)."""
    if isinstance(mark, bool) or not isinstance(mark, int) or mark not in MARKS:
        raise ValueError(f"a mark is an integer from 0 to 15, not {mark!r}")
    return mark


def suffix(mark: int) -> str:
    """The two characters a piece marked ``mark`` ends with."""
    check_mark(mark)
    return ALPHABET[mark // 4] + ALPHABET[mark % 4]


def strip_marks(text: str) -> str:
    """``text`` without any mark character (the same string when it has none)."""
    return _ANY.sub("", text) if _ANY.search(text) else text
