"""Conversation store in MongoDB through beanie (the compose stack's store).

Three collections, ``idempotency_keys`` (one document per stored ``Idempotency-Key``),
``conversations`` (indexed on ``(user_id, updated_at, _id)``) and
``turns`` (indexed on ``(conversation_id, seq)`` and ``(conversation_id, created_at)``).
Nothing connects at construction: beanie is initialised, and the indexes created, on
the first operation, so a store built while MongoDB is down still starts and recovers.

MongoDB keeps datetimes to the millisecond, so this store's timestamps are whole
milliseconds. Without a replica set there are no multi-document transactions: the
conversation's counter is bumped before its turns are inserted, so a failure between
the two leaves ``turn_count`` ahead of the stored turns (never behind, never reordered).
beanie binds Document classes process-wide: one process talks to one Mongo database.

The module stays over 300 lines on purpose: the two Document classes and one method per
port operation (each a query and its mapping) read better side by side, as in the
PostgreSQL store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, ClassVar

from beanie import Document, SortDirection, init_beanie
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, ReturnDocument
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    PyMongoError,
    WriteConcernError,
    WTimeoutError,
)

from service.adapters.stores._common import (
    DEPENDENCY,
    RisingClock,
    clamp_limit,
    decode_completion,
    decode_cursor,
    encode_completion,
    new_conversation_id,
    page_of,
    parse_conversation_id,
)
from service.domain.errors import DependencyUnavailable, DuplicateRequest, NotFound
from service.domain.types import (
    Conversation,
    ConversationPage,
    IdempotentReply,
    Role,
    Turn,
)

__all__ = ["ConversationDocument", "MongoConversationStore", "TurnDocument"]

_UNAVAILABLE = (
    ConnectionFailure,
    ExecutionTimeout,
    WTimeoutError,
    WriteConcernError,
    OSError,
    TimeoutError,
)
"""Driver failures that mean "the database cannot serve us now" (not our bugs)."""


class ConversationDocument(Document):
    """One conversation; ``_id`` is the conversation's UUID text."""

    id: str = Field(default_factory=new_conversation_id)  # type: ignore[assignment]
    user_id: str
    title: str = ""
    created_at: datetime
    updated_at: datetime
    turn_count: int = 0

    class Settings:
        name = "conversations"
        indexes: ClassVar[list[IndexModel]] = [
            IndexModel(
                [("user_id", ASCENDING), ("updated_at", DESCENDING), ("_id", DESCENDING)],
                name="user_updated",
            ),
        ]


class TurnDocument(Document):
    """One turn; ``seq`` is its append order within the conversation."""

    conversation_id: str
    seq: int
    role: str
    content: str
    provider: str | None = None
    model: str | None = None
    created_at: datetime

    class Settings:
        name = "turns"
        indexes: ClassVar[list[IndexModel]] = [
            IndexModel(
                [("conversation_id", ASCENDING), ("seq", DESCENDING)],
                name="conversation_seq",
                unique=True,
            ),
            IndexModel(
                [("conversation_id", ASCENDING), ("created_at", ASCENDING)],
                name="conversation_created",
            ),
        ]


def _key_id(user_id: str, key: str) -> dict[str, str]:
    """One idempotency key's ``_id``: a document, unique per user and key."""
    return {"user": user_id, "key": key}


@contextmanager
def _store_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        raise DependencyUnavailable(
            f"mongo {operation} failed: {type(exc).__name__}", dependency=DEPENDENCY
        ) from exc


def _conversation(doc: ConversationDocument) -> Conversation:
    return Conversation(
        id=doc.id,
        user_id=doc.user_id,
        title=doc.title,
        created_at=doc.created_at,
        updated_at=doc.updated_at,
        turn_count=doc.turn_count,
    )


class MongoConversationStore:
    """``ConversationStore`` on MongoDB. Construct it, use it, ``await aclose()`` it.

    Same contract as the other stores: every query filters on the owner; pages are
    keyset-paginated on ``(updated_at, _id)`` newest first; unreachable or timing-out
    MongoDB raises ``DependencyUnavailable(dependency="store")``; ``append_turns`` on a
    conversation the caller does not own raises ``NotFound``; a bad cursor ``BadRequest``.
    The database is the URL's path (``mongodb://host/chat``), ``chat`` when absent.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 2.0,
        command_timeout: float = 5.0,
        server_selection_timeout: float = 2.0,
        max_connections: int = 10,
    ) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url,
            tz_aware=True,
            connectTimeoutMS=round(connect_timeout * 1000),
            socketTimeoutMS=round(command_timeout * 1000),
            serverSelectionTimeoutMS=round(server_selection_timeout * 1000),
            maxPoolSize=max_connections,
            appname="chat-service",
        )
        self._database = self._client.get_default_database(default="chat")
        self._keys = self._database["idempotency_keys"]
        self._clock = RisingClock(resolution=timedelta(milliseconds=1))
        self._ready = False
        self._lock = asyncio.Lock()

    async def _ensure_ready(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if not self._ready:
                await init_beanie(
                    database=self._database,
                    document_models=[ConversationDocument, TurnDocument],
                )
                await self._keys.create_index("conversation_id", name="conversation")
                self._ready = True

    async def ensure_schema(self) -> None:
        """Initialise beanie and create the indexes now (otherwise done on first use).
        Raises ``DependencyUnavailable`` when MongoDB cannot be reached."""
        with _store_errors("schema"):
            await self._ensure_ready()

    async def create_conversation(self, *, user_id: str, title: str = "") -> Conversation:
        """Create an empty conversation owned by ``user_id``."""
        now = self._clock.now()
        with _store_errors("create_conversation"):
            await self._ensure_ready()
            doc = ConversationDocument(user_id=user_id, title=title, created_at=now, updated_at=now)
            await doc.insert()
        return _conversation(doc)

    async def get_conversation(self, *, user_id: str, conversation_id: str) -> Conversation | None:
        """The conversation, or ``None`` when missing or owned by another user."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            return None
        with _store_errors("get_conversation"):
            await self._ensure_ready()
            doc = await ConversationDocument.find_one({"_id": str(parsed), "user_id": user_id})
        return None if doc is None else _conversation(doc)

    async def list_conversations(
        self, *, user_id: str, limit: int = 20, cursor: str | None = None
    ) -> ConversationPage:
        """One page of ``user_id``'s conversations, newest-updated first."""
        limit = clamp_limit(limit)
        query: dict[str, Any] = {"user_id": user_id}
        if cursor is not None:
            updated_at, after_id = decode_cursor(cursor)
            query["$or"] = [
                {"updated_at": {"$lt": updated_at}},
                {"updated_at": updated_at, "_id": {"$lt": after_id}},
            ]
        with _store_errors("list_conversations"):
            await self._ensure_ready()
            docs = (
                await ConversationDocument.find(query)
                .sort([("updated_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)])
                .limit(limit + 1)
                .to_list()
            )
        return page_of([_conversation(doc) for doc in docs], limit)

    async def append_turns(
        self,
        *,
        user_id: str,
        conversation_id: str,
        turns: Sequence[Turn],
        reply: IdempotentReply | None = None,
    ) -> int:
        """Append ``turns`` in order and return the new ``turn_count``; ``NotFound``
        unless the caller owns the conversation. ``reply``'s key is inserted first (its
        unique ``_id`` makes a stored key a ``DuplicateRequest`` before anything else is
        written) and removed again when the conversation is not the caller's."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            raise NotFound("conversation not found")
        now = self._clock.now()
        with _store_errors("append_turns"):
            await self._ensure_ready()
            if reply is not None:
                await self._insert_key(user_id, str(parsed), reply, now)
            updated = await ConversationDocument.get_pymongo_collection().find_one_and_update(
                {"_id": str(parsed), "user_id": user_id},
                {"$inc": {"turn_count": len(turns)}, "$max": {"updated_at": now}},
                projection={"turn_count": True},
                return_document=ReturnDocument.AFTER,
            )
            if updated is None:
                if reply is not None:
                    await self._keys.delete_one({"_id": _key_id(user_id, reply.key)})
                raise NotFound("conversation not found")
            if turns:
                first = int(updated["turn_count"]) - len(turns)
                await TurnDocument.insert_many(
                    [
                        TurnDocument(
                            conversation_id=str(parsed),
                            seq=first + offset,
                            role=str(turn.role),
                            content=turn.content,
                            provider=turn.provider,
                            model=turn.model,
                            created_at=turn.created_at,
                        )
                        for offset, turn in enumerate(turns)
                    ]
                )
        return int(updated["turn_count"])

    async def _insert_key(
        self, user_id: str, conversation_id: str, reply: IdempotentReply, now: datetime
    ) -> None:
        try:
            await self._keys.insert_one(
                {
                    "_id": _key_id(user_id, reply.key),
                    "conversation_id": conversation_id,
                    "fingerprint": reply.fingerprint,
                    "completion": encode_completion(reply.completion),
                    "created_at": now,
                }
            )
        except DuplicateKeyError as exc:
            raise DuplicateRequest("idempotency key already stored") from exc

    async def find_reply(self, *, user_id: str, key: str) -> IdempotentReply | None:
        """The reply stored under ``user_id``'s ``key``, if any."""
        with _store_errors("find_reply"):
            await self._ensure_ready()
            doc = await self._keys.find_one({"_id": _key_id(user_id, key)})
        if doc is None:
            return None
        return IdempotentReply(
            key=key,
            fingerprint=str(doc["fingerprint"]),
            conversation_id=str(doc["conversation_id"]),
            completion=decode_completion(bytes(doc["completion"])),
        )

    async def recent_turns(
        self, *, conversation_id: str, limit: int, upto: int | None = None
    ) -> list[Turn]:
        """The last ``limit`` turns, oldest first, among the first ``upto`` when given
        (empty when the conversation is unknown)."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None or limit <= 0:
            return []
        query: dict[str, Any] = {"conversation_id": str(parsed)}
        if upto is not None:
            query["seq"] = {"$lt": upto}
        with _store_errors("recent_turns"):
            await self._ensure_ready()
            docs = (
                await TurnDocument.find(query)
                .sort([("seq", SortDirection.DESCENDING)])
                .limit(limit)
                .to_list()
            )
        return [
            Turn(
                role=Role(doc.role),
                content=doc.content,
                created_at=doc.created_at,
                provider=doc.provider,
                model=doc.model,
            )
            for doc in reversed(docs)
        ]

    async def delete_conversation(self, *, user_id: str, conversation_id: str) -> bool:
        """Delete it with its turns; ``True`` when it existed and was the caller's."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            return False
        with _store_errors("delete_conversation"):
            await self._ensure_ready()
            result = await ConversationDocument.get_pymongo_collection().delete_one(
                {"_id": str(parsed), "user_id": user_id}
            )
            if result.deleted_count == 0:
                return False
            await TurnDocument.get_pymongo_collection().delete_many(
                {"conversation_id": str(parsed)}
            )
            await self._keys.delete_many({"conversation_id": str(parsed)})
        return True

    async def ping(self) -> bool:
        """``True`` when MongoDB answers ``ping``. Never raises."""
        try:
            await self._client.admin.command("ping")
        except (PyMongoError, OSError, TimeoutError):
            return False
        return True

    async def aclose(self) -> None:
        """Close the client and its connection pool."""
        await self._client.close()
