"""V4's store: a primary with ``sync_standby`` acknowledges a commit only once its standby
has applied it, so every acknowledged write is readable on the standby at once (and after
a promotion), however soon the primary dies; an asynchronous primary gives no such promise.
Real PostgreSQL clusters (initdb, pg_basebackup, promote)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from lab.servers import PostgresServer
from tests.fixtures.servers import start_or_skip

pytestmark = pytest.mark.timeout(240)
WRITES = 50


@pytest.fixture
def pair() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    primary = start_or_skip(PostgresServer(sync_standby=True))
    try:
        standby = PostgresServer(primary=primary).start()
        try:
            yield primary, standby
        finally:
            standby.stop()
    finally:
        primary.stop()


async def _write_then_read(primary: PostgresServer, standby: PostgresServer) -> list[int]:
    """Insert rows one by one on the primary; right after each commit, count on the standby."""
    writer = await asyncpg.connect(primary.dsn, timeout=10)
    reader = await asyncpg.connect(standby.dsn, timeout=10)
    try:
        await writer.execute("CREATE TABLE IF NOT EXISTS turns (n int PRIMARY KEY)")
        missing = []
        for n in range(WRITES):
            await writer.execute("INSERT INTO turns VALUES ($1)", n)
            if await reader.fetchval("SELECT count(*) FROM turns WHERE n = $1", n) != 1:
                missing.append(n)
        return missing
    finally:
        await writer.close()
        await reader.close()


def test_every_acknowledged_commit_is_on_the_standby_at_once(
    pair: tuple[PostgresServer, PostgresServer],
) -> None:
    """Each committed row is readable on the standby right after its commit returned, and
    still there once the primary is killed and the standby promoted."""
    primary, standby = pair
    assert asyncio.run(_write_then_read(primary, standby)) == []
    primary.kill()
    standby.promote()

    async def count() -> int:
        conn = await asyncpg.connect(standby.dsn, timeout=10)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM turns"))
        finally:
            await conn.close()

    assert asyncio.run(count()) == WRITES
