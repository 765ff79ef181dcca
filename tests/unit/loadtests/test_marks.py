"""The client's reading of output marks agrees with how the fakes write them."""

from __future__ import annotations

import pytest

from fakes.llm import mark as fake_mark
from fakes.llm.text import answer
from loadtests import marks


def test_the_alphabets_are_equal() -> None:
    """The load generator's copy of the alphabet is the fakes' alphabet."""
    assert marks.ALPHABET == fake_mark.ALPHABET


@pytest.mark.parametrize("mark", range(16))
def test_every_mark_decodes_to_itself(mark: int) -> None:
    """A text marked by the fakes with ``mark`` decodes to exactly ``(mark,)``."""
    text = answer(0, "m", f"prompt {mark}", None, mark).text
    assert marks.marks_in(text) == (mark,)


def test_two_providers_in_order_of_first_appearance() -> None:
    """Text of mark 2 then mark 11 then mark 2 again decodes to (2, 11)."""
    text = (
        answer(0, "m", "a", 5, 2).text
        + answer(0, "m", "b", 5, 11).text
        + answer(0, "m", "c", 3, 2).text
    )
    assert marks.marks_in(text) == (2, 11)


def test_text_without_marks_has_none() -> None:
    """Plain text (and empty text) has no marks."""
    assert marks.marks_in(answer(0, "m", "p", None).text) == ()
    assert marks.marks_in("") == ()


def test_mark_characters_split_across_chunks_still_decode() -> None:
    """The mark characters of chunks cut inside a suffix, joined, decode like the whole."""
    text = answer(0, "m", "p", 6, 13).text
    cut = text.index(fake_mark.suffix(13)) + 1  # between a suffix's two characters
    joined = marks.mark_chars(text[:cut]) + marks.mark_chars(text[cut:])
    assert marks.marks_in(joined) == (13,)
