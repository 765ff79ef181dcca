"""Prometheus metrics with Toxiproxy's own names and labels.

- ``toxiproxy_proxy_received_bytes_total{direction,proxy,listener,upstream}``: bytes read by
  the proxy, per link direction (upstream = from clients, downstream = from the upstream).
- ``toxiproxy_proxy_sent_bytes_total{direction,proxy,listener,upstream}``: bytes written by
  the proxy, per link direction, after toxics.

Toxiproxy adds a link's bytes when the link closes; this server also counts the bytes of
links still open, so a scrape during a long connection already sees them. The data path
only bumps plain integers; the totals are assembled when ``/metrics`` is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

__all__ = ["LABELS", "METRICS", "Labels", "ProxyMetrics"]

Labels = tuple[str, str, str, str]
LABELS = ("direction", "proxy", "listener", "upstream")
METRICS: dict[str, str] = {
    "toxiproxy_proxy_received_bytes_total": "Bytes the proxy read, per link direction.",
    "toxiproxy_proxy_sent_bytes_total": "Bytes the proxy wrote after toxics, per link direction.",
}

LiveRows = Callable[[], Iterable[tuple[Labels, int, int]]]


class ProxyMetrics(Collector):
    """Byte counters of finished links plus whatever ``live`` reports for open ones."""

    def __init__(self) -> None:
        self._totals: dict[Labels, list[int]] = {}
        self._live: LiveRows = list
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def watch(self, live: LiveRows) -> None:
        """Where to read the open links' bytes at scrape time."""
        self._live = live

    def add(self, labels: Labels, received: int, sent: int) -> None:
        """Add a closed pipe's bytes."""
        total = self._totals.setdefault(labels, [0, 0])
        total[0] += received
        total[1] += sent

    def collect(self) -> Iterator[CounterMetricFamily]:
        rows: dict[Labels, list[int]] = {key: list(value) for key, value in self._totals.items()}
        for labels, received, sent in self._live():
            row = rows.setdefault(labels, [0, 0])
            row[0] += received
            row[1] += sent
        names = list(METRICS)
        families = [
            CounterMetricFamily(name.removesuffix("_total"), METRICS[name], labels=LABELS)
            for name in names
        ]
        for labels, (received, sent) in sorted(rows.items()):
            families[0].add_metric(list(labels), received)
            families[1].add_metric(list(labels), sent)
        yield from families

    def exposition(self) -> bytes:
        """The text format for ``GET /metrics``."""
        return generate_latest(self.registry)
