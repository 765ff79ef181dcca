"""Client-side SLIs for Prometheus, served from each Locust process.

These are the primary SLIs: a crashed replica cannot count its own failures, the client can.
Each Locust process serves ``/metrics`` on a free loopback port and writes a Prometheus
``file_sd`` entry to ``RUN/load/scrape/<worker>.json`` (job ``chaoslab-load``), so a
Prometheus watching ``RUN/load/scrape/*.json`` (or the stack's scrape directory the runner
copies it to) scrapes every worker.

Histogram buckets straddle every phase target T with T/1.1, T and T*1.1, so a report can
tell "just under" from "just over" any target from buckets alone.

Streams also feed the LLM-aware SLIs, one observation per answered stream (a 2xx whose
events were read): its p95 inter-token gap (``chaoslab_client_stream_itl_p95_seconds``,
buckets 1 ms .. 2 s), its tokens/s (``chaoslab_client_stream_tokens_per_second``), whether
the final event came (``chaoslab_client_streams_answered_total{complete="true|false"}``) and
the tokens it carried (``chaoslab_client_stream_tokens_total``). ``observe`` takes the
request log's own ``RequestRecord``, so the log and the metrics cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from rundir import RequestRecord
from rundir.layout import scrape_file

__all__ = ["ITL_BUCKETS", "TOKENS_PER_S_BUCKETS", "ClientMetrics", "buckets_around",
           "write_scrape_target"]  # fmt: skip

_BASE = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0, 30.0, 60.0)
RATIO = 1.1
ITL_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5,
               0.75, 1.0, 1.5, 2.0)  # fmt: skip
"""Per-stream p95 inter-token gap, seconds: a healthy fake's few ms up to a 2 s stall."""
TOKENS_PER_S_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 150.0, 200.0,
                        350.0, 500.0, 1000.0, 2000.0)  # fmt: skip
"""Per-stream tokens/s (after the first token)."""


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
        self.itl_p95 = Histogram(
            "chaoslab_client_stream_itl_p95_seconds",
            "Per answered stream: the p95 of its gaps between consecutive tokens, seconds.",
            ["user"],
            buckets=ITL_BUCKETS,
            registry=self.registry,
        )
        self.tokens_per_s = Histogram(
            "chaoslab_client_stream_tokens_per_second",
            "Per answered stream: tokens after the first / seconds from first to last token.",
            ["user"],
            buckets=TOKENS_PER_S_BUCKETS,
            registry=self.registry,
        )
        self.answered = Counter(
            "chaoslab_client_streams_answered",
            "Streams answered 2xx, by whether their final event arrived (complete true|false).",
            ["user", "complete"],
            registry=self.registry,
        )
        self.tokens = Counter(
            "chaoslab_client_stream_tokens",
            "Tokens (content events) received in streams.",
            ["user"],
            registry=self.registry,
        )
        self.port: int | None = None

    def observe(self, record: RequestRecord) -> None:
        """Count one request of the request log (the same record, so both agree)."""
        user, outcome = record.user, record.outcome
        self.requests.labels(user, outcome, record.reason).inc()
        self.latency.labels(user, outcome).observe(record.latency_s)
        if record.ttft_s is not None:
            self.ttft.labels(user).observe(record.ttft_s)
        if record.stream and outcome != "excluded":
            result = "complete" if record.reason == "ok" else "incomplete"
            self.streams.labels(user, result).inc()
        self._observe_stream(record)

    def _observe_stream(self, record: RequestRecord) -> None:
        if not record.stream or record.outcome == "excluded":
            return
        if record.stream_complete is not None:
            self.answered.labels(record.user, "true" if record.stream_complete else "false").inc()
        if record.tokens:
            self.tokens.labels(record.user).inc(record.tokens)
        if record.itl_p95_s is not None:
            self.itl_p95.labels(record.user).observe(record.itl_p95_s)
        if record.tokens_per_s is not None:
            self.tokens_per_s.labels(record.user).observe(record.tokens_per_s)

    def serve(self, host: str = "127.0.0.1") -> int:
        """Serve ``/metrics`` on a free port of ``host``; returns the port."""
        server, _thread = start_http_server(0, addr=host, registry=self.registry)
        self.port = int(server.server_port)
        return self.port


def write_scrape_target(directory: Path, *, worker: str, address: str) -> Path:
    """A Prometheus ``file_sd`` entry for one Locust process."""
    directory.mkdir(parents=True, exist_ok=True)
    path = scrape_file(directory, worker)
    entry = [{"targets": [address], "labels": {"job": "chaoslab-load", "worker": worker}}]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry), encoding="utf-8")
    tmp.replace(path)
    return path
