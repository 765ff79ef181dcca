"""Supervised local servers: the lab's default backend and the tests' real-server harness."""

from lab.servers.base import ManagedServer, ServerStartError
from lab.servers.fake_llm import FakeLLMServer
from lab.servers.haproxy import HAProxyServer
from lab.servers.postgres import PostgresServer
from lab.servers.prometheus import PrometheusServer
from lab.servers.redis import RedisServer
from lab.servers.service import ServiceReplica
from lab.servers.toxiproxy import ToxiproxyServer

__all__ = [
    "FakeLLMServer",
    "HAProxyServer",
    "ManagedServer",
    "PostgresServer",
    "PrometheusServer",
    "RedisServer",
    "ServerStartError",
    "ServiceReplica",
    "ToxiproxyServer",
]
