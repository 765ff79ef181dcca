"""Reading the fakes' output marks in an answer's text: which providers wrote it.

Each lab fake appends two invisible characters to every token piece it serves,
``ALPHABET[mark // 4] + ALPHABET[mark % 4]`` (``fakes.llm.mark`` writes them). An answer
whose text holds two marks or more mixes text from two providers. The load generator
imports nothing from the fakes, so the alphabet is written here too; a unit test keeps
the two equal.
"""

from __future__ import annotations

import re

__all__ = ["ALPHABET", "mark_chars", "marks_in"]

ALPHABET = ("\u200b", "\u200c", "\u200d", "\u2060")
"""Zero width space, zero width non-joiner, zero width joiner, word joiner."""

_DIGIT = {char: value for value, char in enumerate(ALPHABET)}
_RUNS = re.compile("[" + "".join(ALPHABET) + "]+")


def mark_chars(text: str) -> str:
    """The mark characters of ``text``, in order, without anything else (C speed: a stream
    keeps only these of each token's raw data, since JSON syntax holds no mark character)."""
    runs = _RUNS.findall(text)
    return "".join(runs) if runs else ""


def marks_in(text: str) -> tuple[int, ...]:
    """The distinct marks in ``text``, in order of first appearance (``()``: none).

    Every marked piece ends with exactly two mark characters, so the mark characters of a
    text, taken together, are pairs: a text cut into chunks anywhere decodes the same.
    """
    chars = mark_chars(text)
    seen: dict[int, None] = {}
    for i in range(0, len(chars) - 1, 2):
        seen.setdefault(_DIGIT[chars[i]] * 4 + _DIGIT[chars[i + 1]], None)
    return tuple(seen)
