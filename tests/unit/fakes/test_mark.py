"""Output marks: a marked fake's answer pieces end with its mark; counting ignores marks."""

from __future__ import annotations

import pytest

from fakes.llm.app import ENV_MARK, from_env
from fakes.llm.mark import ALPHABET, MARKS, check_mark, strip_marks, suffix
from fakes.llm.text import answer, count_tokens


def test_each_mark_is_its_own_two_characters() -> None:
    """The 16 marks give 16 different two-character suffixes of the alphabet."""
    suffixes = [suffix(mark) for mark in MARKS]
    assert len(set(suffixes)) == 16
    assert all(len(s) == 2 and set(s) <= set(ALPHABET) for s in suffixes)
    assert suffix(6) == ALPHABET[1] + ALPHABET[2]


@pytest.mark.parametrize("bad", [-1, 16, True, 1.0])
def test_a_mark_outside_0_to_15_is_refused(bad: object) -> None:
    """-1, 16, a bool or a float is a ValueError naming the range."""
    with pytest.raises(ValueError, match="from 0 to 15"):
        check_mark(bad)  # type: ignore[arg-type]


def test_a_marked_answer_ends_every_piece_with_its_mark() -> None:
    """Marked pieces are the unmarked pieces plus the suffix: same tokens, same finish."""
    plain = answer(3, "m", "why?", 20)
    marked = answer(3, "m", "why?", 20, 9)
    assert marked.pieces == tuple(piece + suffix(9) for piece in plain.pieces)
    assert (marked.tokens, marked.finish) == (plain.tokens, plain.finish)
    assert strip_marks(marked.text) == plain.text


def test_an_unmarked_answer_has_no_mark_character() -> None:
    """Without a mark the answer holds none of the alphabet's characters."""
    text = answer(0, "m", "p", None).text
    assert not set(text) & set(ALPHABET)


def test_count_tokens_ignores_marks() -> None:
    """A marked answer counts as many tokens as its pieces, like the unmarked text."""
    marked = answer(1, "m", "tell me", None, 15)
    assert count_tokens(marked.text) == marked.tokens == count_tokens(strip_marks(marked.text))
    assert count_tokens("wo" + suffix(5) + "rd") == count_tokens("word") == 1


def test_from_env_reads_the_mark(monkeypatch: pytest.MonkeyPatch) -> None:
    """``FAKE_LLM_MARK=7`` builds an app that marks with 7."""
    monkeypatch.setenv(ENV_MARK, "7")
    assert from_env().mark == 7


@pytest.mark.parametrize("raw", ["16", "-1", "x"])
def test_from_env_refuses_a_bad_mark(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    """A mark outside 0..15 (or not a number) in the environment is a one-line ValueError."""
    monkeypatch.setenv(ENV_MARK, raw)
    with pytest.raises(ValueError, match=f"^{ENV_MARK} must be an integer from 0 to 15"):
        from_env()
