"""Conversation store in PostgreSQL through an asyncpg pool (the local default).

Nothing connects at construction: the pool opens its first connection, and the schema
is created (idempotently, under an advisory lock so replicas can race), on the first
operation that needs them. A store built while PostgreSQL is down therefore still
starts, reports ``ping() == False``, raises ``DependencyUnavailable`` per operation,
and recovers by itself when the server comes back.

The SQL is in :mod:`~service.adapters.stores.postgres_sql`. The module stays over 300
lines on purpose: one method per port operation (each a statement and its row mapping)
reads better side by side than split across files.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from service.adapters.stores import postgres_sql as sql
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
from service.domain.errors import BadRequest, DependencyUnavailable, DuplicateRequest, NotFound
from service.domain.types import (
    Conversation,
    ConversationPage,
    IdempotentReply,
    Role,
    Turn,
)

__all__ = ["SCHEMA", "PostgresConversationStore"]

SCHEMA = sql.SCHEMA

_T = TypeVar("_T")
_Connection = PoolConnectionProxy
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.InterfaceError,
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
)
"""Driver failures that mean "the database cannot serve us now" (not our bugs)."""


@contextmanager
def _store_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        raise DependencyUnavailable(
            f"postgres {operation} failed: {type(exc).__name__}", dependency=DEPENDENCY
        ) from exc


def _conversation(row: asyncpg.Record) -> Conversation:
    return Conversation(
        id=str(row["id"]),
        user_id=row["user_id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        turn_count=row["turn_count"],
    )


class PostgresConversationStore:
    """``ConversationStore`` on PostgreSQL. Construct it, use it, ``await aclose()`` it.

    Every query filters on the owner, so another user's conversation is not found rather
    than forbidden. Pages are keyset-paginated on ``(updated_at, id)`` newest first.
    Connection, timeout and server-shutdown failures raise
    ``DependencyUnavailable(dependency="store")``; ``append_turns`` on a conversation the
    caller does not own raises ``NotFound``; a malformed cursor raises ``BadRequest``.
    """

    def __init__(
        self,
        dsn: str,
        *,
        min_connections: int = 0,
        max_connections: int = 10,
        connect_timeout: float = 2.0,
        command_timeout: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._min = min_connections
        self._max = max_connections
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._clock = RisingClock()
        self._pool: asyncpg.Pool | None = None
        self._schema_ready = False
        self._lock = asyncio.Lock()
        self._closed = False

    async def _get_pool(self) -> asyncpg.Pool:
        if self._closed:
            raise DependencyUnavailable("postgres store is closed", dependency=DEPENDENCY)
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    pool = asyncpg.create_pool(
                        self._dsn,
                        min_size=self._min,
                        max_size=self._max,
                        timeout=self._connect_timeout,
                        command_timeout=self._command_timeout,
                        server_settings={"application_name": "chat-service"},
                    )
                    await pool
                    self._pool = pool
        return self._pool

    async def _run(
        self, operation: str, work: Callable[[_Connection], Awaitable[_T]], *, schema: bool = True
    ) -> _T:
        """Run ``work`` on a pooled connection, mapping driver failures to ours.

        When the database has lost our tables (restored, replaced, or crashed before its
        WAL reached disk) the schema is recreated and ``work`` runs once more: the failed
        statement changed nothing, and a transaction in ``work`` was rolled back.
        """
        with _store_errors(operation):
            for attempt in (1, 2):
                pool = await self._get_pool()
                if schema and not self._schema_ready:
                    await self._create_schema(pool)
                try:
                    async with pool.acquire(timeout=self._connect_timeout) as conn:
                        return await work(conn)
                except (asyncpg.UndefinedTableError, asyncpg.InvalidCachedStatementError) as exc:
                    # A recreated table also invalidates statements cached before it.
                    if isinstance(exc, asyncpg.UndefinedTableError):
                        self._schema_ready = False
                    if attempt == 2 or not schema:
                        raise DependencyUnavailable(
                            f"postgres {operation} failed: schema missing or changed",
                            dependency=DEPENDENCY,
                        ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _create_schema(self, pool: asyncpg.Pool) -> None:
        async with self._lock:
            if self._schema_ready:
                return
            async with pool.acquire(timeout=self._connect_timeout) as conn, conn.transaction():
                await conn.execute(sql.SCHEMA)
            self._schema_ready = True

    async def ensure_schema(self) -> None:
        """Create the tables and indexes now (they are otherwise created on first use).
        Raises ``DependencyUnavailable`` when PostgreSQL cannot be reached."""

        async def nothing(conn: _Connection) -> None:
            return None

        await self._run("schema", nothing)

    async def create_conversation(self, *, user_id: str, title: str = "") -> Conversation:
        """Create an empty conversation owned by ``user_id``."""
        now = self._clock.now()
        new_id = uuid.UUID(new_conversation_id())

        async def work(conn: _Connection) -> asyncpg.Record | None:
            return await conn.fetchrow(sql.INSERT_CONVERSATION, new_id, user_id, title, now)

        row = await self._run("create_conversation", work)
        if row is None:  # INSERT ... RETURNING always yields a row
            raise RuntimeError("INSERT ... RETURNING returned no row")
        return _conversation(row)

    async def get_conversation(self, *, user_id: str, conversation_id: str) -> Conversation | None:
        """The conversation, or ``None`` when missing or owned by another user."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            return None

        async def work(conn: _Connection) -> asyncpg.Record | None:
            return await conn.fetchrow(sql.GET_CONVERSATION, parsed, user_id)

        row = await self._run("get_conversation", work)
        return None if row is None else _conversation(row)

    async def list_conversations(
        self, *, user_id: str, limit: int = 20, cursor: str | None = None
    ) -> ConversationPage:
        """One page of ``user_id``'s conversations, newest-updated first."""
        limit = clamp_limit(limit)
        position = None if cursor is None else _cursor_position(cursor)

        async def work(conn: _Connection) -> list[asyncpg.Record]:
            if position is None:
                return await conn.fetch(sql.FIRST_PAGE, user_id, limit + 1)
            return await conn.fetch(sql.NEXT_PAGE, user_id, *position, limit + 1)

        rows = await self._run("list_conversations", work)
        return page_of([_conversation(row) for row in rows], limit)

    async def append_turns(
        self,
        *,
        user_id: str,
        conversation_id: str,
        turns: Sequence[Turn],
        reply: IdempotentReply | None = None,
    ) -> int:
        """Append ``turns`` in order in one transaction, with ``reply``'s key when given,
        and return the new ``turn_count``. ``NotFound`` unless the caller owns the
        conversation; ``DuplicateRequest`` (nothing written) when the key is stored."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            raise NotFound("conversation not found")
        now = self._clock.now()

        async def work(conn: _Connection) -> int | None:
            async with conn.transaction():
                count = await conn.fetchval(sql.BUMP_CONVERSATION, parsed, user_id, len(turns), now)
                if count is None:
                    return None
                if reply is not None:
                    stored = await conn.fetchval(
                        sql.INSERT_KEY,
                        user_id,
                        reply.key,
                        parsed,
                        reply.fingerprint,
                        encode_completion(reply.completion),
                        now,
                    )
                    if stored is None:  # raising rolls the whole transaction back
                        raise DuplicateRequest("idempotency key already stored")
                if turns:
                    await conn.execute(
                        sql.INSERT_TURNS,
                        parsed,
                        list(range(count - len(turns), count)),
                        [str(turn.role) for turn in turns],
                        [turn.content for turn in turns],
                        [turn.provider for turn in turns],
                        [turn.model for turn in turns],
                        [turn.created_at for turn in turns],
                    )
                return int(count)

        count = await self._run("append_turns", work)
        if count is None:
            raise NotFound("conversation not found")
        return count

    async def find_reply(self, *, user_id: str, key: str) -> IdempotentReply | None:
        """The reply stored under ``user_id``'s ``key``, if any."""

        async def work(conn: _Connection) -> asyncpg.Record | None:
            return await conn.fetchrow(sql.FIND_KEY, user_id, key)

        row = await self._run("find_reply", work)
        if row is None:
            return None
        return IdempotentReply(
            key=key,
            fingerprint=row["fingerprint"],
            conversation_id=str(row["conversation_id"]),
            completion=decode_completion(row["completion"]),
        )

    async def recent_turns(
        self, *, conversation_id: str, limit: int, upto: int | None = None
    ) -> list[Turn]:
        """The last ``limit`` turns, oldest first, among the first ``upto`` when given
        (empty when the conversation is unknown)."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None or limit <= 0:
            return []
        below = sql.NO_LIMIT if upto is None else upto

        async def work(conn: _Connection) -> list[asyncpg.Record]:
            return await conn.fetch(sql.RECENT_TURNS, parsed, limit, below)

        rows = await self._run("recent_turns", work)
        return [
            Turn(
                role=Role(row["role"]),
                content=row["content"],
                created_at=row["created_at"],
                provider=row["provider"],
                model=row["model"],
            )
            for row in reversed(rows)
        ]

    async def delete_conversation(self, *, user_id: str, conversation_id: str) -> bool:
        """Delete it with its turns; ``True`` when it existed and was the caller's."""
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            return False

        async def work(conn: _Connection) -> str:
            return await conn.execute(sql.DELETE_CONVERSATION, parsed, user_id)

        return await self._run("delete_conversation", work) == "DELETE 1"

    async def ping(self) -> bool:
        """``True`` when PostgreSQL answers ``SELECT 1``. Never raises."""

        async def work(conn: _Connection) -> bool:
            return bool(await conn.fetchval("SELECT 1") == 1)

        try:
            return await self._run("ping", work, schema=False)
        except Exception:  # a probe reports, it never raises
            return False

    async def aclose(self) -> None:
        """Close the pool, waiting up to the command timeout for connections in use."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), timeout=self._command_timeout)
        except TimeoutError:
            pool.terminate()


def _cursor_position(cursor: str) -> tuple[datetime, uuid.UUID]:
    updated_at, after_id = decode_cursor(cursor)
    parsed = parse_conversation_id(after_id)
    if parsed is None:
        raise BadRequest("invalid pagination cursor", field="cursor")
    return updated_at, parsed
