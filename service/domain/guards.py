"""Each dependency call of the chat domain under its failure policy, reported."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from service.domain.config import ChatConfig
from service.domain.policy import ChatObserver, guarded

__all__ = ["UNAVAILABLE", "Guards", "Unavailable", "discard", "turn_key"]

T = TypeVar("T")
F = TypeVar("F")


class Unavailable:
    """Marks a lookup skipped because its dependency failed under fail-open."""


UNAVAILABLE = Unavailable()


class Guards:
    """``guarded`` with the config's store and cache policies and one observer."""

    def __init__(self, *, config: ChatConfig, observer: ChatObserver) -> None:
        self.config = config
        self.observer = observer

    async def store(self, call: Awaitable[T], fallback: F) -> T | F:
        """``call`` on the conversation store under the store policy."""
        return await guarded(
            call,
            dependency="store",
            policy=self.config.store_policy,
            fallback=fallback,
            observer=self.observer,
        )

    async def cache(self, dependency: str, call: Awaitable[T], fallback: F) -> T | F:
        """``call`` on a cache (``turn_cache``, ``response_cache``) under the cache policy."""
        return await guarded(
            call,
            dependency=dependency,
            policy=self.config.cache_policy,
            fallback=fallback,
            observer=self.observer,
        )


def discard(task: asyncio.Future[Any]) -> None:
    """Retrieve an unused lookup's outcome, so a failure of it is not reported as lost."""
    if not task.cancelled():
        task.exception()


def turn_key(user_id: str, conversation_id: str) -> str:
    """Turn-cache key: scoped by user, so an entry never serves another user."""
    return f"{user_id}/{conversation_id}"
