"""Answer text and token counting of the fakes."""

from __future__ import annotations

from fakes.llm.text import VOCABULARY, answer, count_tokens


def test_word_pieces_of_four_characters() -> None:
    """A word counts one token per started four characters; punctuation counts one."""
    assert count_tokens("a abcd abcde") == 1 + 1 + 2
    assert count_tokens("hi, you!") == 4


def test_empty_text_has_no_tokens() -> None:
    """Empty or blank text counts zero tokens."""
    assert count_tokens("  ") == 0


def test_answer_is_deterministic() -> None:
    """The same seed, model and prompt give the same answer."""
    assert answer(1, "m", "p", None).text == answer(1, "m", "p", None).text


def test_answer_depends_on_seed_model_and_prompt() -> None:
    """Changing the seed, the model or the prompt changes the answer."""
    base = answer(1, "m", "p", None).text
    assert answer(2, "m", "p", None).text != base
    assert answer(1, "n", "p", None).text != base
    assert answer(1, "m", "q", None).text != base


def test_answer_tokens_match_tokenizer() -> None:
    """An answer's token count equals the tokenizer's count of its text."""
    for prompt in ("a", "b", "c", "a longer prompt"):
        a = answer(0, "m", prompt, None)
        assert a.tokens == count_tokens(a.text)
        assert 8 <= a.tokens <= 64


def test_max_tokens_truncates_with_length_finish() -> None:
    """``max_tokens`` cuts the answer and the finish reason becomes ``length``."""
    a = answer(0, "m", "p", 2)
    assert a.tokens == 2
    assert a.finish == "length"
    assert answer(0, "m", "p", 1000).finish == "stop"


def test_vocabulary_words_are_one_token() -> None:
    """Every vocabulary word is a single token."""
    assert all(count_tokens(w) == 1 for w in VOCABULARY)
