"""Parsing of the Retry-After headers the vendors send (pure; beside the adapters' tests)."""

from __future__ import annotations

import email.utils

import pytest

from service.adapters.providers import parse_retry_after


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "-3"}, 0.0),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
)
def test_seconds_and_milliseconds(headers: dict[str, str], expected: float | None) -> None:
    """Seconds, OpenAI's retry-after-ms (preferred), negatives and junk are handled."""
    assert parse_retry_after(headers) == expected


def test_http_date() -> None:
    """An HTTP-date Retry-After becomes the seconds until that date."""
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after({"retry-after": header}, now=now) == pytest.approx(30.0)
