"""HAProxy in front of several service replicas (phases with more than one replica)."""

from __future__ import annotations

from collections.abc import Sequence

from lab.binaries import find
from lab.net import free_port, is_listening
from lab.servers.base import ManagedServer

__all__ = ["HAProxyServer"]


class HAProxyServer(ManagedServer):
    """Round-robin HTTP balancing over ``backends`` (``host:port``), with active health
    checks on ``health_path`` so a killed or frozen replica leaves the rotation.
    ``stats_port`` serves HAProxy's own Prometheus metrics at ``/metrics``."""

    name = "haproxy"

    def __init__(
        self,
        *,
        backends: Sequence[str],
        health_path: str = "/v1/ready",
        stats_port: int | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backends = list(backends)
        self.health_path = health_path
        self.stats_port = stats_port if stats_port is not None else free_port()

    def config(self) -> str:
        servers = "\n".join(
            f"    server r{i} {address} check inter 500ms fall 2 rise 2"
            for i, address in enumerate(self.backends)
        )
        return f"""global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    option redispatch
    retries 1
frontend chat
    bind {self.host}:{self.port}
    default_backend replicas
frontend stats
    bind {self.host}:{self.stats_port}
    http-request use-service prometheus-exporter if {{ path /metrics }}
backend replicas
    balance roundrobin
    option httpchk GET {self.health_path}
{servers}
"""

    def prepare(self) -> None:
        (self.workdir / "haproxy.cfg").write_text(self.config(), encoding="utf-8")

    def command(self) -> list[str]:
        return [str(find("haproxy")), "-db", "-f", str(self.workdir / "haproxy.cfg")]

    def probe(self) -> bool:
        return is_listening(self.host, self.port) and is_listening(self.host, self.stats_port)
