"""Deeply nested bodies: a clean 400 with Go's max-depth wording, never a RecursionError."""

from __future__ import annotations

import pytest

from fakes.toxiproxy.errors import ApiError
from fakes.toxiproxy.gojson import MAX_DEPTH, decode
from fakes.toxiproxy.nesting import too_deep

_DEPTH_ERROR = "bad request body: invalid character '[' exceeded max depth"


def _nested(depth: int, *, open_: str = "[", close: str = "]") -> bytes:
    return (open_ * depth + close * depth).encode()


def _decode_error(raw: bytes) -> ApiError:
    with pytest.raises(ApiError) as caught:
        decode(raw)
    return caught.value


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 999, 10_001, 200_000])
def test_nesting_past_the_limit_is_go_max_depth_error(depth: int) -> None:
    """999 (or 200 000) nested '[' is a 400 with Go's 'exceeded max depth', not RecursionError."""
    error = _decode_error(_nested(depth))
    assert (error.status, error.message) == (400, _DEPTH_ERROR)


def test_nesting_at_the_limit_decodes() -> None:
    """A value nested exactly MAX_DEPTH levels decodes as before."""
    value = decode(_nested(MAX_DEPTH))
    for _ in range(MAX_DEPTH - 1):
        assert isinstance(value, list)
        value = value[0]
    assert value == []


def test_deep_value_in_an_ignored_field_is_refused() -> None:
    """Depth counts wherever it is: a deep value under an unknown key is refused too."""
    body = b'{"name": "p", "junk": ' + _nested(999) + b"}"
    assert _decode_error(body).message == _DEPTH_ERROR


def test_an_earlier_syntax_error_wins_over_depth() -> None:
    """Go's scanner reads in order: a syntax error before the deep part is the one reported."""
    body = b'{"a" 1, "b": ' + _nested(999) + b"}"
    assert _decode_error(body).message == "bad request body: invalid character '1' after object key"


def test_objects_count_as_levels() -> None:
    """'{' opens a level like '['; the error quotes the bracket that went past the limit."""
    body = b'{"a":' * 500 + b"1" + b"}" * 500
    assert _decode_error(body).message == (
        "bad request body: invalid character '{' exceeded max depth"
    )


def test_brackets_inside_strings_do_not_nest() -> None:
    """Brackets in a string (escaped quotes included) are text, not levels."""
    text = '["' + "[" * 1000 + '\\"' + "{" * 1000 + '"]'
    assert too_deep(text, 0, limit=MAX_DEPTH) is None
    assert decode(text.encode()) == ["[" * 1000 + '"' + "{" * 1000]


def test_only_the_first_value_is_scanned() -> None:
    """Deep brackets after the first value are ignored, as Go's Decoder never reads them."""
    assert decode(b'{"a": 1} ' + _nested(999)) == {"a": 1}
    assert decode(b"7 " + _nested(999)) == 7
