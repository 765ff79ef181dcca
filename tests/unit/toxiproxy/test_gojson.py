"""Request bodies decoded as Go's encoding/json decodes them: syntax and type errors."""

from __future__ import annotations

import pytest

from fakes.toxiproxy.errors import ApiError
from fakes.toxiproxy.gojson import decode, decode_struct


def _decode_error(raw: bytes) -> str:
    with pytest.raises(ApiError) as caught:
        decode(raw)
    assert caught.value.status == 400
    return caught.value.message


def test_only_the_first_value_counts() -> None:
    """Bytes after the first JSON value are ignored, as json.Decoder ignores them."""
    assert decode(b'  {"a": 1} {"b": 2} junk') == {"a": 1}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"   ", "EOF"),
        (b'{"a": [1, 2', "unexpected EOF"),
        (b"nul", "unexpected EOF"),
        (b"?", "invalid character '?' looking for beginning of value"),
        (b"{'a': 1}", "invalid character '\\'' looking for beginning of object key string"),
        (b'{"a" 1}', "invalid character '1' after object key"),
        (b'{"a": 1 "b"}', "invalid character '\"' after object key:value pair"),
        (b"[1 2]", "invalid character '2' after array element"),
        (b'{"a": "x\ny"}', "invalid character '\\n' in string literal"),
        (b"trx", "invalid character 'x' in literal true (expecting 'u')"),
        (b"[-x]", "invalid character 'x' in numeric literal"),
        (b'{"a": 1.}', "invalid character '}' after decimal point in numeric literal"),
        (b"1e+", "unexpected EOF"),
        (b"[1ex]", "invalid character 'x' in exponent of numeric literal"),
        (b'"\\u12"', "invalid character '\"' in \\u hexadecimal character escape"),
        (b'{"a": NaN}', "invalid character 'N' looking for beginning of value"),
        (b"-Infinity", "invalid character 'I' in numeric literal"),
        (b"\xff", "invalid character '\xff' looking for beginning of value"),
    ],
)
def test_syntax_errors_use_go_wording(raw: bytes, message: str) -> None:
    """Malformed bodies fail with Go's scanner message after 'bad request body: '."""
    assert _decode_error(raw) == f"bad request body: {message}"


def test_number_literals_appear_in_integer_errors() -> None:
    """A fraction for an integer field reports the literal as written, like Go."""
    body = decode(b'{"latency": 1e3}')
    assert isinstance(body, dict)
    with pytest.raises(ApiError) as caught:
        decode_struct(body, {"latency": "int64"}, struct="LatencyToxic.attributes")
    assert caught.value.message == (
        "bad request body: json: cannot unmarshal number 1e3 into Go struct field"
        " LatencyToxic.attributes.latency of type int64"
    )


def test_first_type_error_in_document_order_wins() -> None:
    """With two wrong values, the one written first is reported."""
    with pytest.raises(ApiError) as caught:
        decode_struct({"b": "x", "a": 1}, {"a": "string", "b": "bool"}, struct="S")
    assert "S.b of type bool" in caught.value.message


def test_keys_fold_case_and_the_last_one_wins() -> None:
    """Keys match fields case-insensitively; a later matching key overrides; null skips."""
    fields = decode_struct({"Name": "a", "NAME": "b", "name": None}, {"name": "string"}, struct="")
    assert fields == {"name": "b"}


def test_float32_fields_take_integers_and_reject_overflow() -> None:
    """A float32 field takes 1 (as 1.0), rounds to float32 and refuses what overflows it."""
    assert decode_struct({"t": 1}, {"t": "float32"}, struct="") == {"t": 1.0}
    assert decode_struct({"t": 0.123456789}, {"t": "float32"}, struct="") == {"t": 0.12345679}
    body = decode(b'{"t": 1e40}')
    assert isinstance(body, dict)
    with pytest.raises(ApiError) as caught:
        decode_struct(body, {"t": "float32"}, struct="")
    assert "number 1e40 into Go struct field .t of type float32" in caught.value.message


def test_broken_text_becomes_replacement_characters() -> None:
    """Lone surrogate escapes and undecodable bytes in strings become U+FFFD, as in Go."""
    assert decode(b'{"n": "a\\ud800b\xffc"}') == {"n": "a\ufffdb\ufffdc"}
