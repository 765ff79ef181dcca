"""Client-side SLIs for Prometheus, served from each Locust process.

These are the primary SLIs: a crashed replica cannot count its own failures, the client can.
Each Locust process serves ``/metrics`` on a free loopback port and writes a Prometheus
``file_sd`` entry to ``RUN/load/scrape/<worker>.json`` (job ``chaoslab-load``), so a
Prometheus watching ``RUN/load/scrape/*.json`` (or the stack's scrape directory the runner
copies it to) scrapes every worker.

Histogram buckets straddle every phase target T with T/1.1, T and T*1.1, so a report can
tell "just under" from "just over" any target from buckets alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

__all__ = ["ClientMetrics", "buckets_around", "write_scrape_target"]

_BASE = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0, 30.0, 60.0)
RATIO = 1.1


def buckets_around(targets: Iterable[float], base: Iterable[float] = _BASE) -> tuple[float, ...]:
    """The base buckets plus T/1.1, T and T*1.1 for every target T (sorted, unique)."""
    values = set(base)
    for target in targets:
        values.update((round(target / RATIO, 4), round(target, 4), round(target * RATIO, 4)))
    return tuple(sorted(values))


class ClientMetrics:
    """The client's SLI metrics in their own registry (labels: user kind, outcome, reason)."""

    def __init__(self, *, latency_targets: Iterable[float], ttft_targets: Iterable[float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "chaoslab_client_requests_total",
            "Client requests by user kind, outcome (good|failure|excluded) and reason.",
            ["user", "outcome", "reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "chaoslab_client_latency_seconds",
            "Client-measured latency until the last byte (or the failure), seconds.",
            ["user", "outcome"],
            buckets=buckets_around(latency_targets),
            registry=self.registry,
        )
        self.ttft = Histogram(
            "chaoslab_client_ttft_seconds",
            "Client-measured time to first token of streams, seconds.",
            ["user"],
            buckets=buckets_around(ttft_targets),
            registry=self.registry,
        )
        self.streams = Counter(
            "chaoslab_client_streams_total",
            "Streams by result: complete (final event seen) or incomplete.",
            ["user", "result"],
            registry=self.registry,
        )
        self.port: int | None = None

    def observe(
        self,
        *,
        user: str,
        outcome: str,
        reason: str,
        latency_s: float,
        ttft_s: float | None,
        stream: bool,
    ) -> None:
        self.requests.labels(user, outcome, reason).inc()
        self.latency.labels(user, outcome).observe(latency_s)
        if ttft_s is not None:
            self.ttft.labels(user).observe(ttft_s)
        if stream and outcome != "excluded":
            self.streams.labels(user, "complete" if reason == "ok" else "incomplete").inc()

    def serve(self, host: str = "127.0.0.1") -> int:
        """Serve ``/metrics`` on a free port of ``host``; returns the port."""
        server, _thread = start_http_server(0, addr=host, registry=self.registry)
        self.port = int(server.server_port)
        return self.port


def write_scrape_target(directory: Path, *, worker: str, address: str) -> Path:
    """A Prometheus ``file_sd`` entry for one Locust process."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{worker}.json"
    entry = [{"targets": [address], "labels": {"job": "chaoslab-load", "worker": worker}}]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry), encoding="utf-8")
    tmp.replace(path)
    return path
