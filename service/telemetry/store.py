"""``InstrumentedStore``: any ``ConversationStore``, with operation counts and latency.

Outcomes: ``ok``, ``unavailable`` (``DependencyUnavailable``), ``rejected`` (another
``ServiceError``, e.g. not found) and ``error`` (anything else). Errors pass through.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from service.domain.errors import DependencyUnavailable, ServiceError
from service.domain.ports import ConversationStore
from service.domain.types import Conversation, ConversationPage, IdempotentReply, Turn
from service.telemetry.metrics import ServiceMetrics

__all__ = ["InstrumentedStore"]

T = TypeVar("T")


class InstrumentedStore:
    """Wraps ``store``; closing it closes the wrapped store."""

    def __init__(self, store: ConversationStore, metrics: ServiceMetrics) -> None:
        self.store = store
        self.metrics = metrics

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await call
        except DependencyUnavailable:
            outcome = "unavailable"
            raise
        except ServiceError:
            outcome = "rejected"
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            self.metrics.store_ops.labels(operation, outcome).inc()
            self.metrics.store_duration.labels(operation).observe(time.perf_counter() - started)

    async def create_conversation(self, *, user_id: str, title: str = "") -> Conversation:
        return await self._timed(
            "create_conversation", self.store.create_conversation(user_id=user_id, title=title)
        )

    async def get_conversation(self, *, user_id: str, conversation_id: str) -> Conversation | None:
        return await self._timed(
            "get_conversation",
            self.store.get_conversation(user_id=user_id, conversation_id=conversation_id),
        )

    async def list_conversations(
        self, *, user_id: str, limit: int = 20, cursor: str | None = None
    ) -> ConversationPage:
        return await self._timed(
            "list_conversations",
            self.store.list_conversations(user_id=user_id, limit=limit, cursor=cursor),
        )

    async def append_turns(
        self,
        *,
        user_id: str,
        conversation_id: str,
        turns: Sequence[Turn],
        reply: IdempotentReply | None = None,
    ) -> int:
        return await self._timed(
            "append_turns",
            self.store.append_turns(
                user_id=user_id, conversation_id=conversation_id, turns=turns, reply=reply
            ),
        )

    async def find_reply(self, *, user_id: str, key: str) -> IdempotentReply | None:
        return await self._timed("find_reply", self.store.find_reply(user_id=user_id, key=key))

    async def recent_turns(
        self, *, conversation_id: str, limit: int, upto: int | None = None
    ) -> list[Turn]:
        return await self._timed(
            "recent_turns",
            self.store.recent_turns(conversation_id=conversation_id, limit=limit, upto=upto),
        )

    async def delete_conversation(self, *, user_id: str, conversation_id: str) -> bool:
        return await self._timed(
            "delete_conversation",
            self.store.delete_conversation(user_id=user_id, conversation_id=conversation_id),
        )

    async def ping(self) -> bool:
        return await self.store.ping()

    async def aclose(self) -> None:
        await self.store.aclose()
