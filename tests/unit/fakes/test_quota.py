"""Per-key usage windows."""

from __future__ import annotations

from fakes.llm.faults import Quota
from fakes.llm.quota import QuotaBook


def test_requests_per_minute() -> None:
    """The request past the limit is refused with zero remaining."""
    book, quota = QuotaBook(), Quota(requests_per_minute=2)
    first = book.admit(quota, scope="*", key="k", cost=1, now=0.0)
    assert first.exceeded is None
    assert first.requests_remaining == 1
    assert book.admit(quota, scope="*", key="k", cost=1, now=1.0).exceeded is None
    refused = book.admit(quota, scope="*", key="k", cost=1, now=2.0)
    assert refused.exceeded == "requests"
    assert refused.requests_remaining == 0
    assert refused.retry_after_s == 58


def test_tokens_per_minute() -> None:
    """A request whose cost does not fit the remaining tokens is refused."""
    book, quota = QuotaBook(), Quota(tokens_per_minute=100)
    assert book.admit(quota, scope="*", key="k", cost=60, now=0.0).tokens_remaining == 40
    assert book.admit(quota, scope="*", key="k", cost=50, now=0.0).exceeded == "tokens"


def test_window_resets_after_a_minute() -> None:
    """Usage is forgotten 60 s after the window started."""
    book, quota = QuotaBook(), Quota(requests_per_minute=1)
    book.admit(quota, scope="*", key="k", cost=1, now=0.0)
    assert book.admit(quota, scope="*", key="k", cost=1, now=30.0).exceeded == "requests"
    assert book.admit(quota, scope="*", key="k", cost=1, now=60.0).exceeded is None


def test_keys_are_separate() -> None:
    """Each API key has its own window."""
    book, quota = QuotaBook(), Quota(requests_per_minute=1)
    book.admit(quota, scope="*", key="a", cost=1, now=0.0)
    assert book.admit(quota, scope="*", key="b", cost=1, now=0.0).exceeded is None
