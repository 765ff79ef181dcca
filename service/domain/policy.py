"""Failure policy per dependency, and what the domain reports about applying it.

A dependency (Redis for rate limits or caches, the conversation store) that raises
``DependencyUnavailable`` is handled by its policy: ``fail-closed`` lets the error go up
(the caller gets a 503), ``fail-open`` carries on without it (the rate limit allows, the
cache is bypassed, the turn still answers). Every such choice is reported to the
``ChatObserver`` so metrics count it; nothing is skipped silently.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from service.domain.errors import DependencyUnavailable
from service.domain.types import Usage

__all__ = ["ChatObserver", "FailurePolicy", "NoopChatObserver", "guarded"]

T = TypeVar("T")
F = TypeVar("F")


class FailurePolicy(enum.StrEnum):
    FAIL_OPEN = "fail-open"
    FAIL_CLOSED = "fail-closed"


class ChatObserver(Protocol):
    """Callbacks from the chat domain; implementations are cheap and never raise.

    Every argument is a low-cardinality label value or a number.
    """

    def dependency_failure(self, dependency: str, policy: FailurePolicy) -> None:
        """``dependency`` (``rate_limiter``, ``response_cache``, ``turn_cache``,
        ``store``) failed and ``policy`` was applied."""

    def cache_lookup(self, cache: str, outcome: str) -> None:
        """``cache`` (``response`` | ``turns``) was consulted: ``hit`` | ``miss`` | ``error``."""

    def rate_limit(self, tier: str, outcome: str) -> None:
        """A rate-limit decision: ``allowed`` | ``limited`` | ``fail_open``."""

    def turns_unpersisted(self, count: int, reason: str) -> None:
        """``count`` turns could not be stored and the caller was answered anyway."""

    def chat_result(self, *, provider: str, model: str, cached: bool, usage: Usage) -> None:
        """The request being served was answered by ``provider`` (tokens, access log)."""

    def dependency_status(self, dependency: str, up: bool) -> None:
        """A readiness probe of ``dependency`` answered (``up``) or not."""


class NoopChatObserver:
    """Observes nothing (the default, and for tests)."""

    def dependency_failure(self, dependency: str, policy: FailurePolicy) -> None:
        return None

    def cache_lookup(self, cache: str, outcome: str) -> None:
        return None

    def rate_limit(self, tier: str, outcome: str) -> None:
        return None

    def turns_unpersisted(self, count: int, reason: str) -> None:
        return None

    def chat_result(self, *, provider: str, model: str, cached: bool, usage: Usage) -> None:
        return None

    def dependency_status(self, dependency: str, up: bool) -> None:
        return None


async def guarded(
    call: Awaitable[T],
    *,
    dependency: str,
    policy: FailurePolicy,
    fallback: F,
    observer: ChatObserver,
) -> T | F:
    """Await ``call``; on ``DependencyUnavailable`` apply ``policy``: re-raise when
    fail-closed, else return ``fallback``. Either way the failure is reported."""
    try:
        return await call
    except DependencyUnavailable:
        observer.dependency_failure(dependency, policy)
        if policy is FailurePolicy.FAIL_CLOSED:
            raise
        return fallback
