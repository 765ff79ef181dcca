"""Go's ``encoding/json`` scanner, in words: the message Go gives for a malformed body.

Python's ``json`` module finds the same syntax errors at the same places but words them
differently; ``syntax_message`` turns a ``json.JSONDecodeError`` into the text Go's scanner
gives (``invalid character 'x' looking for beginning of value``, ``unexpected EOF``...),
``number_tail`` catches the broken numbers Python stops before, ``quote_char`` quotes a
character as Go does.
"""

from __future__ import annotations

import json
from typing import Final

__all__ = ["number_tail", "quote_char", "syntax_message"]


_GO_CONTROL: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def quote_char(char: str) -> str:
    """Go's ``quoteChar``: the character in single quotes, escaped as Go would."""
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    if char < " " or char == "\x7f":
        char = _GO_CONTROL.get(char, f"\\x{ord(char):02x}")
    elif "\udc80" <= char <= "\udcff":  # an undecodable byte: Go shows it as a rune
        byte = ord(char) - 0xDC00
        char = chr(byte) if byte >= 0xA0 else f"\\u{byte:04x}"
    return f"'{char}'"


def _container(text: str, pos: int) -> str:
    """Whether ``pos`` is inside an object or an array (``{`` / ``[``), strings skipped."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


_LITERALS: Final = ("true", "false", "null")
_DIGITS: Final = frozenset("0123456789")
_HEX: Final = frozenset("0123456789abcdefABCDEF")


def _broken_value(text: str, pos: int) -> str | None:
    """Go's message for a literal (``tru``) or number (``-x``) cut short at ``pos``."""
    rest = text[pos:]
    for word in _LITERALS:
        if rest[:1] == word[0]:
            for index, expected in enumerate(word):
                if index == len(rest):
                    return "unexpected EOF"
                if rest[index] != expected:
                    found, wanted = quote_char(rest[index]), quote_char(expected)
                    return f"invalid character {found} in literal {word} (expecting {wanted})"
            return None
    if rest[:1] == "-":
        if len(rest) == 1:
            return "unexpected EOF"
        if rest[1] not in _DIGITS:
            return f"invalid character {quote_char(rest[1])} in numeric literal"
    return None


def number_tail(text: str, end: int) -> str | None:
    """Go's message when the number ending at ``end`` has a broken fraction or exponent
    (Python stops the number there; Go's scanner fails inside it)."""
    if end >= len(text) or end == 0 or text[end - 1] not in _DIGITS:
        return None
    start = end
    while start > 0 and text[start - 1] in "0123456789.eE+-":
        start -= 1
    number = text[start:end].lower()
    if "e" in number or (text[end] == "." and "." in number):
        return None  # the number was complete: the error is after it
    if text[end] == ".":
        if end + 1 == len(text):
            return "unexpected EOF"
        char = text[end + 1]
        return f"invalid character {quote_char(char)} after decimal point in numeric literal"
    if text[end] in "eE":
        index = end + 1
        if index < len(text) and text[index] in "+-":
            index += 1
        if index == len(text):
            return "unexpected EOF"
        char = text[index]
        return f"invalid character {quote_char(char)} in exponent of numeric literal"
    return None


def _unicode_escape(text: str, pos: int) -> str:
    """Go's message for a bad ``\\uXXXX`` escape whose ``u`` is at ``pos``."""
    for char in text[pos + 1 : pos + 5]:
        if char not in _HEX:
            return f"invalid character {quote_char(char)} in \\u hexadecimal character escape"
    return "unexpected EOF"


def syntax_message(error: json.JSONDecodeError, text: str) -> str:
    pos = error.pos
    if pos >= len(text) or error.msg.startswith("Unterminated string"):
        return "unexpected EOF"
    char = text[pos]
    if error.msg.startswith("Invalid \\uXXXX"):
        return _unicode_escape(text, pos)
    if error.msg == "Expecting value":
        broken = _broken_value(text, pos)
        if broken is not None:
            return broken
        return f"invalid character {quote_char(char)} looking for beginning of value"
    if error.msg.startswith("Expecting property name"):
        return f"invalid character {quote_char(char)} looking for beginning of object key string"
    if error.msg == "Expecting ':' delimiter":
        return f"invalid character {quote_char(char)} after object key"
    if error.msg == "Expecting ',' delimiter":
        broken = number_tail(text, pos)
        if broken is not None:
            return broken
        where = "object key:value pair" if _container(text, pos) == "{" else "array element"
        return f"invalid character {quote_char(char)} after {where}"
    if error.msg.startswith("Invalid control character"):
        return f"invalid character {quote_char(char)} in string literal"
    if error.msg.startswith("Invalid \\escape"):
        return f"invalid character {quote_char(text[pos + 1 : pos + 2])} in string escape code"
    return error.msg
