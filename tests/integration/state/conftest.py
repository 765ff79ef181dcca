"""Fixtures for the state adapters' contract tests.

``store`` runs every test once per conversation-store adapter: memory always, PostgreSQL
through the session ``postgres_server``, MongoDB when one can be had (``MONGO_URL``, a
``mongod`` on PATH, or Docker through testcontainers), else that parameter skips saying
what is missing. ``redis_client`` is a client of the session ``redis_server``, emptied
before each test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from redis.asyncio import Redis

from lab.net import LOOPBACK, free_port, is_listening
from lab.servers import PostgresServer, RedisServer
from service.adapters.redis import create_redis_client
from service.adapters.stores.memory import MemoryConversationStore
from service.adapters.stores.postgres import PostgresConversationStore
from service.domain.ports import ConversationStore
from tests.fixtures.servers import skip_unless_required

_CONTRACT_DB = "state_contract"


def _docker_works() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        result = subprocess.run([docker, "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    """A MongoDB URL: ``MONGO_URL``, else a ``mongod`` we start, else a testcontainer;
    skips when none is available (fails instead when ``LAB_REQUIRE_SERVERS`` names mongo)."""
    if url := os.environ.get("MONGO_URL"):
        yield url
        return
    if mongod := shutil.which("mongod"):
        port = free_port()
        dbpath = tempfile.mkdtemp(prefix="lab-mongod-")
        log = open(os.path.join(dbpath, "mongod.log"), "w")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [mongod, "--dbpath", dbpath, "--port", str(port), "--bind_ip", LOOPBACK],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not is_listening(LOOPBACK, port):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mongod did not start; see {log.name}")
                time.sleep(0.1)
            yield f"mongodb://{LOOPBACK}:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
            shutil.rmtree(dbpath, ignore_errors=True)
        return
    if _docker_works():
        from testcontainers.community.mongodb import MongoDbContainer

        with MongoDbContainer("mongo:7") as container:
            yield container.get_connection_url()
        return
    reason = "no MongoDB: MONGO_URL unset, no mongod on PATH, and no working Docker engine"
    skip_unless_required("mongo", reason)


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _mongo_with_database(url: str, database: str) -> str:
    """``url`` on ``database``; credentials keep authenticating against ``admin``."""
    parts = urlsplit(url)
    query = parts.query
    if parts.username and "authSource=" not in query:
        query = f"{query}&authSource=admin" if query else "authSource=admin"
    return urlunsplit(parts._replace(path=f"/{database}", query=query))


async def _postgres_store(server: PostgresServer) -> PostgresConversationStore:
    """A store on a dedicated database, schema created, tables emptied."""
    admin = await asyncpg.connect(server.dsn)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", _CONTRACT_DB)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{_CONTRACT_DB}"')
    finally:
        await admin.close()
    store = PostgresConversationStore(_with_database(server.dsn, _CONTRACT_DB))
    await store.ensure_schema()
    conn = await asyncpg.connect(_with_database(server.dsn, _CONTRACT_DB))
    try:
        await conn.execute("TRUNCATE conversations CASCADE")
    finally:
        await conn.close()
    return store


@pytest.fixture(params=["memory", "postgres", "mongo"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ConversationStore]:
    """One conversation store per adapter, empty at the start of each test."""
    backend: ConversationStore
    drop_mongo_database: str | None = None
    if request.param == "memory":
        backend = MemoryConversationStore()
    elif request.param == "postgres":
        backend = await _postgres_store(request.getfixturevalue("postgres_server"))
    else:
        from service.adapters.stores.mongo import MongoConversationStore

        drop_mongo_database = f"chat_contract_{uuid.uuid4().hex[:12]}"
        url = _mongo_with_database(request.getfixturevalue("mongo_url"), drop_mongo_database)
        mongo = MongoConversationStore(url)
        await mongo.ensure_schema()
        backend = mongo
    try:
        yield backend
    finally:
        if drop_mongo_database is not None:
            from pymongo import AsyncMongoClient

            client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
                request.getfixturevalue("mongo_url")
            )
            await client.drop_database(drop_mongo_database)
            await client.close()
        await backend.aclose()


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A client of the session Redis, on an emptied database; closed after the test."""
    client = create_redis_client(redis_server.url)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def closed_port() -> int:
    """A loopback port where nothing listens (connections are refused at once)."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(64)
        yield listener.getsockname()[1]
