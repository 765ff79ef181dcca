"""HAProxy in front of several service replicas (phases with more than one replica)."""

from __future__ import annotations

from collections.abc import Sequence

from lab.binaries import find
from lab.net import free_port, is_listening
from lab.servers.base import ManagedServer

__all__ = ["Backend", "HAProxyServer", "haproxy_config"]


class Backend:
    """One server of the backend: ``backup`` servers take traffic only when every
    non-backup server is down (region failover at the front door)."""

    __slots__ = ("address", "backup", "name")

    def __init__(self, name: str, address: str, *, backup: bool = False) -> None:
        self.name = name
        self.address = address
        self.backup = backup


def haproxy_config(
    backends: Sequence[Backend],
    *,
    bind: str,
    stats_bind: str,
    health_path: str = "/v1/ready",
    check_interval_ms: int = 500,
) -> str:
    """The configuration (also what the compose backend mounts into its HAProxy).

    Its log goes to stderr at ``notice`` with ISO timestamps: server state changes ("Server
    replicas/replica-1 is DOWN, reason: ...", "... is UP") and "backend replicas has no
    server available!", one timestamped line each (no line per request), which the runner
    copies into the run directory (``RUN/lb/haproxy.log``) for the report's timeline."""
    check = f"check inter {check_interval_ms}ms fall 2 rise 2"
    servers = "\n".join(
        f"    server {b.name} {b.address} {check}{' backup' if b.backup else ''}" for b in backends
    )
    return f"""global
    maxconn 4000
    log stderr format iso local0 notice
defaults
    mode http
    log global
    timeout connect 1s
    timeout client 120s
    timeout server 120s
    retries 3
    retry-on conn-failure
    option redispatch 1
    option http-no-delay
frontend chat
    bind {bind}
    default_backend replicas
frontend stats
    bind {stats_bind}
    http-request use-service prometheus-exporter if {{ path /metrics }}
backend replicas
    balance roundrobin
    option httpchk GET {health_path}
{servers}
"""


class HAProxyServer(ManagedServer):
    """Round-robin HTTP balancing over ``backends`` (``host:port`` strings or ``Backend``),
    with active health checks on ``health_path`` so a killed or frozen replica leaves the
    rotation. ``stats_port`` serves HAProxy's own Prometheus metrics at ``/metrics``.

    Retries: only connection failures are retried (``retry-on conn-failure``), on another
    server (``option redispatch``); a request that reached a replica is never sent twice,
    so a replica killed mid-request loses that request visibly.

    ``option http-no-delay``: each streamed token goes out at once. Without it HAProxy
    merges small chunks (MSG_MORE) and a token stream reached the client in bursts about
    200 ms apart, adding that much to every measured time to first token."""

    name = "haproxy"

    def __init__(
        self,
        *,
        backends: Sequence[str | Backend],
        health_path: str = "/v1/ready",
        stats_port: int | None = None,
        check_interval_ms: int = 500,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.backends = [
            b if isinstance(b, Backend) else Backend(f"r{i}", b) for i, b in enumerate(backends)
        ]
        self.health_path = health_path
        self.stats_port = stats_port if stats_port is not None else free_port()
        self.check_interval_ms = check_interval_ms

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.host}:{self.stats_port}/metrics"

    def config(self) -> str:
        return haproxy_config(
            self.backends,
            bind=self.address,
            stats_bind=f"{self.host}:{self.stats_port}",
            health_path=self.health_path,
            check_interval_ms=self.check_interval_ms,
        )

    def prepare(self) -> None:
        (self.workdir / "haproxy.cfg").write_text(self.config(), encoding="utf-8")

    def command(self) -> list[str]:
        return [str(find("haproxy")), "-db", "-f", str(self.workdir / "haproxy.cfg")]

    def probe(self) -> bool:
        return is_listening(self.host, self.port) and is_listening(self.host, self.stats_port)
