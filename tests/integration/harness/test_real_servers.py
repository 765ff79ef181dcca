"""The harness' servers are the real programs, reachable with the real clients."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import asyncpg
import pytest
import redis

from lab.servers import (
    HAProxyServer,
    PostgresServer,
    PrometheusServer,
    RedisServer,
    ServerStartError,
)
from tests.fixtures.servers import start_or_skip


def test_redis_is_a_real_redis_server(redis_server: RedisServer) -> None:
    """INFO server reports a redis_version and the port we asked for."""
    client = redis.Redis.from_url(redis_server.url)
    try:
        info = client.info("server")
    finally:
        client.close()
    assert str(info["redis_version"]).count(".") == 2
    assert int(info["tcp_port"]) == redis_server.port


def test_redis_has_no_persistence(redis_server: RedisServer) -> None:
    """The throwaway Redis never writes snapshots or an AOF."""
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
    finally:
        client.close()


def test_postgres_is_a_real_postgresql(postgres_server: PostgresServer) -> None:
    """SELECT version() answers PostgreSQL over the DSN the fixture gives."""

    async def version() -> str:
        conn = await asyncpg.connect(postgres_server.dsn)
        try:
            return str(await conn.fetchval("SELECT version()"))
        finally:
            await conn.close()

    assert asyncio.run(version()).startswith("PostgreSQL ")


def test_prometheus_is_a_real_prometheus(prometheus_server: PrometheusServer) -> None:
    """The buildinfo API answers with a version, and Prometheus scrapes itself."""
    with urllib.request.urlopen(f"{prometheus_server.url}/api/v1/status/buildinfo") as response:
        body = json.load(response)
    assert body["status"] == "success"
    assert body["data"]["version"].count(".") == 2
    deadline = time.monotonic() + 20
    result: list[object] = []
    while time.monotonic() < deadline and not result:
        with urllib.request.urlopen(f"{prometheus_server.url}/api/v1/query?query=up") as response:
            result = json.load(response)["data"]["result"]
        time.sleep(0.2)
    assert result, "Prometheus never scraped its own target"


def test_haproxy_balances_to_a_real_backend(redis_server: RedisServer) -> None:
    """HAProxy starts from its binary and reports itself through its Prometheus exporter."""
    proxy = start_or_skip(HAProxyServer(backends=[redis_server.address]))
    try:
        url = f"http://{proxy.host}:{proxy.stats_port}/metrics"
        with urllib.request.urlopen(url) as response:
            text = response.read().decode()
    finally:
        proxy.stop()
    assert "haproxy_process_" in text


def test_stop_reaps_the_process_and_workdir() -> None:
    """After stop() the port is closed and the temporary work directory is gone."""
    server = RedisServer().start()
    workdir = server.workdir
    assert server.probe()
    server.stop()
    assert not server.probe()
    assert not workdir.exists()


def test_a_server_that_exits_reports_its_log() -> None:
    """A server that dies at start raises ServerStartError carrying its own output."""

    class Broken(RedisServer):
        def command(self) -> list[str]:
            return [*super().command(), "--no-such-directive", "x"]

    with pytest.raises(ServerStartError, match="no-such-directive"):
        Broken().start()


def test_killed_server_comes_back_on_start() -> None:
    """kill() crashes the server (a chaos fault) and start() brings it back on the same port."""
    with RedisServer() as server:
        port = server.port
        server.kill()
        assert not server.probe()
        server.start()
        assert server.probe()
        assert server.port == port


def test_start_on_a_taken_port_raises(redis_server: RedisServer) -> None:
    """start() on a port another server listens on raises instead of probing the other one."""
    intruder = RedisServer(port=redis_server.port)
    try:
        with pytest.raises(ServerStartError, match="already in use"):
            intruder.start()
    finally:
        intruder.stop()
    assert redis_server.probe()
