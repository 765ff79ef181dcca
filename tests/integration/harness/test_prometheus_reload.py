"""``PrometheusServer.reload``: new targets reach a running Prometheus without a restart."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from lab.servers import PrometheusServer
from tests.fixtures.servers import start_or_skip


@pytest.fixture
def prometheus() -> Iterator[PrometheusServer]:
    """A real Prometheus that starts with no target at all."""
    server = start_or_skip(PrometheusServer())
    try:
        yield server
    finally:
        server.stop()


def _jobs(server: PrometheusServer) -> set[str]:
    with urllib.request.urlopen(f"{server.url}/api/v1/targets", timeout=5) as response:
        active = json.load(response)["data"]["activeTargets"]
    return {target["labels"]["job"] for target in active}


def _jobs_within(server: PrometheusServer, seconds: float) -> set[str]:
    """The scraped jobs once some appear, or the empty set after ``seconds``."""
    deadline = time.monotonic() + seconds
    jobs = _jobs(server)
    while not jobs and time.monotonic() < deadline:
        time.sleep(0.2)
        jobs = _jobs(server)
    return jobs


def test_reload_applies_new_targets_to_the_running_server(prometheus: PrometheusServer) -> None:
    """Targets set after start are scraped after reload(), by the same process."""
    pid = prometheus.pid
    assert _jobs(prometheus) == set()
    prometheus.targets = {"itself": [prometheus.address]}
    prometheus.reload()
    assert _jobs_within(prometheus, 20) == {"itself"}
    assert prometheus.pid == pid


def test_reload_of_a_config_prometheus_refuses_raises(prometheus: PrometheusServer) -> None:
    """A config Prometheus rejects makes reload() raise, and the old config stays in force."""
    prometheus.targets = {"itself": [prometheus.address]}
    prometheus.reload()
    prometheus.targets = {"other": [prometheus.address]}
    prometheus.scrape_interval = -1  # "-1000ms": Prometheus refuses a negative duration
    with pytest.raises(urllib.error.HTTPError):
        prometheus.reload()
    assert _jobs_within(prometheus, 20) == {"itself"}
