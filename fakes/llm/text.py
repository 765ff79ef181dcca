"""Deterministic answer text and the fakes' token counting.

Tokenizer (documented for users comparing counts): text is split into words and single
punctuation marks (regex ``\\w+|[^\\w\\s]``); a word of ``L`` characters counts as
``ceil(L / 4)`` tokens (word pieces of at most four characters), a punctuation mark as one.
That is close to BPE's "about four characters per token" and is the same function for
prompts and answers, so usage figures are consistent. Output marks (``mark``) are not text:
counting ignores them.

Answers are words from a fixed vocabulary of words of at most four letters, so every answer
word is exactly one token. The words and the answer's natural length are drawn from a
BLAKE2b hash of ``(seed, model, prompt)``: the same prompt gives the same answer for a seed,
different prompts give different answers, and ``max_tokens`` truncates it. A provider
profile with a length model (``profiles``) maps the same hash through its length
distribution instead of the natural 8..64 words. A marked fake
appends its mark's two invisible characters to every piece (still one token each).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from fakes.llm.mark import strip_marks, suffix
from fakes.llm.profiles import Profile

__all__ = ["VOCABULARY", "Answer", "answer", "count_tokens"]

_WORD = re.compile(r"\w+|[^\w\s]")

_WORDS = """
    the of and to in is it you that he was for on are as with his they at be this have
    from or one had by word but not what all were we when your can said there use an each
    which she do how their if will up other about out many then them these so some her
    would make like him into time has look two more write go see way been call who oil its
    now find long down day did get come made may part over new sound take only know place
    year live me back give most very after thing our just name good man think say great
    where help much line turn move cause mean old any same tell boy does set three want air
    well also play small end put home read hand port large add even land here must big high
    such act why ask men went kind need near self earth head stand own page grow food four
    tree keep last city eye never let top farm hard sea draw left late run real life few
    open seem next hold wall sit mark bird ride rain rule pull cold note body dog fish deep
    wind fire snow lake star moon sun mind idea song road wave blue red gold iron salt seed
    rock ship shop cart lamp desk door gate hill path pond rope sand silk soap tent tool
    vase wire yarn zone arch bell bolt cave clay coin cord crow dune echo fern flag fork
    frog gear glow harp hawk hive jade kite knot leaf lime loom mint moss nest oak opal
"""
VOCABULARY: tuple[str, ...] = tuple(w for w in _WORDS.split() if len(w) <= 4)
_VOCAB_SIZE = len(VOCABULARY)
_MIN_WORDS = 8
_SPAN_WORDS = 57  # natural answer length: 8..64 words


@lru_cache(maxsize=8192)
def count_tokens(text: str) -> int:
    """Tokens in ``text`` by the fakes' word-piece rule (see the module docstring).

    Cached: a conversation sends its earlier messages again with every turn. Mark characters
    are dropped first: a marked answer sent back as a prompt counts as the unmarked one.
    """
    return sum((len(piece) + 3) // 4 for piece in _WORD.findall(strip_marks(text)))


class Answer:
    """The answer to one prompt: its pieces (one token each), its ``tokens`` and why it ended.

    ``tokens`` (completion tokens, ``len(pieces)``) equals ``count_tokens(text)``.
    """

    __slots__ = ("finish", "pieces", "text", "tokens")

    def __init__(self, pieces: tuple[str, ...], *, truncated: bool) -> None:
        self.pieces = pieces
        self.text = "".join(pieces)
        self.tokens = len(pieces)
        self.finish = "length" if truncated else "stop"


@lru_cache(maxsize=8192)
def _words(seed: int, model: str, prompt: str, profile: Profile | None) -> tuple[str, ...]:
    digest = hashlib.blake2b(f"{seed}\x00{model}\x00{prompt}".encode(), digest_size=64).digest()
    head = int.from_bytes(digest[:2], "big")
    drawn = None if profile is None else profile.length_at((head + 0.5) / 65_536)
    length = _MIN_WORDS + head % _SPAN_WORDS if drawn is None else drawn
    stream = bytearray(digest[2:])
    block = digest
    while len(stream) < 2 * length:
        block = hashlib.blake2b(block, digest_size=64).digest()
        stream.extend(block)
    words = [
        VOCABULARY[int.from_bytes(stream[2 * i : 2 * i + 2], "big") % _VOCAB_SIZE]
        for i in range(length)
    ]
    return tuple(w if i == 0 else " " + w for i, w in enumerate(words))


@lru_cache(maxsize=8192)
def answer(
    seed: int,
    model: str,
    prompt: str,
    max_tokens: int | None,
    mark: int | None = None,
    profile: Profile | None = None,
) -> Answer:
    """The deterministic answer for ``(seed, model, prompt)``, at most ``max_tokens`` long;
    with ``mark``, every piece ends with that mark's two characters. A ``profile`` with a
    length model draws the natural length from it (same prompt, same length)."""
    pieces = _words(seed, model, prompt, profile)
    if mark is not None:
        end = suffix(mark)
        pieces = tuple(piece + end for piece in pieces)
    if max_tokens is not None and max_tokens < len(pieces):
        return Answer(pieces[: max(max_tokens, 0)], truncated=True)
    return Answer(pieces, truncated=False)
