"""Locust in its own processes against a real service: request log, Locust's counts, the
client SLI exporter, and two distributed workers whose counts add up exactly."""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from chaoslab.run.locust import LocustRun
from rundir import RequestRecord, read_requests
from tests.integration.experiments.conftest import MiniStack, load_config


@dataclass
class Finished:
    run_dir: Path
    records: list[RequestRecord]
    locust_total: int
    locust_failures: int
    metrics_text: str
    files: list[str]


def _locust_totals(run_dir: Path) -> tuple[int, int]:
    stats = json.loads((run_dir / "load" / "locust.json").read_text())
    return sum(s["num_requests"] for s in stats), sum(s["num_failures"] for s in stats)


def _run(mini: MiniStack, run_dir: Path, *, workers: int = 0, **fields: object) -> Finished:
    config = load_config(
        mini,
        run_dir,
        mix={"chat": 1, "stream": 1, "openai": 1, "abusive": 1},
        workers=max(1, workers),
        **fields,
    )
    locust = LocustRun(run_dir=run_dir, config_path=config, duration=5.0, workers=workers).start()
    metrics = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and locust.running():
            time.sleep(0.5)
            for target in (run_dir / "load" / "scrape").glob("*.json"):
                address = json.loads(target.read_text())[0]["targets"][0]
                with contextlib.suppress(httpx.HTTPError):  # the last scrape before exit
                    metrics = httpx.get(f"http://{address}/metrics", timeout=2).text
        assert locust.wait(60) is not None, locust.log_tail()
    finally:
        locust.stop()
    total, failures = _locust_totals(run_dir)
    files = sorted(p.name for p in (run_dir / "load").glob("requests*.jsonl"))
    return Finished(run_dir, read_requests(run_dir), total, failures, metrics, files)


@pytest.fixture(scope="module")
def standalone(mini_stack: MiniStack, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return _run(mini_stack, tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def distributed(mini_stack: MiniStack, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return _run(mini_stack, tmp_path_factory.mktemp("run2w"), workers=2)


def test_every_request_is_in_the_log(standalone: Finished) -> None:
    """The per-request log holds exactly the requests Locust counted."""
    assert standalone.records
    assert len(standalone.records) == standalone.locust_total


def test_failures_in_locust_are_failures_in_the_log(standalone: Finished) -> None:
    """Locust's failure count is the log's failure outcomes (excluded are not failures)."""
    failures = sum(r.outcome == "failure" for r in standalone.records)
    assert failures == standalone.locust_failures


def test_all_user_kinds_ran_and_healthy_service_is_good(standalone: Finished) -> None:
    """Chat, stream, openai and abusive users all ran; normal users all got good answers."""
    kinds = Counter(r.user for r in standalone.records)
    assert set(kinds) == {"chat", "stream", "openai", "abusive"}
    normal = [r for r in standalone.records if r.user != "abusive"]
    assert all(r.outcome == "good" for r in normal), Counter(r.reason for r in normal)


def test_abusive_users_4xx_are_excluded(standalone: Finished) -> None:
    """The abusive user's 4xx land as excluded, not as failures."""
    abusive = [r for r in standalone.records if r.user == "abusive" and 400 <= r.status < 500]
    assert abusive
    assert {r.outcome for r in abusive} == {"excluded"}


def test_streams_carry_a_client_measured_ttft(standalone: Finished) -> None:
    """Every good stream has a time to first token no larger than its latency."""
    streams = [r for r in standalone.records if r.stream and r.outcome == "good"]
    assert streams
    assert all(r.ttft_s is not None and 0 < r.ttft_s <= r.latency_s for r in streams)


def test_good_streams_carry_token_timing(standalone: Finished) -> None:
    """Every good stream is complete with tokens > 0 and plausible gaps and tokens/s."""
    streams = [r for r in standalone.records if r.stream and r.outcome == "good"]
    assert streams
    for r in streams:
        assert r.stream_complete is True
        assert r.tokens is not None
        assert r.tokens > 0
        if r.tokens >= 2:
            assert r.itl_p50_s is not None
            assert r.itl_p95_s is not None
            assert r.itl_max_s is not None
            assert 0 <= r.itl_p50_s <= r.itl_p95_s <= r.itl_max_s <= r.latency_s
    assert any(r.tokens_per_s is not None and r.tokens_per_s > 0 for r in streams)


def test_exporter_serves_client_slis_with_straddling_buckets(standalone: Finished) -> None:
    """The Locust process served chaoslab_client_* metrics with buckets around 3.0 s."""
    text = standalone.metrics_text
    assert 'chaoslab_client_requests_total{outcome="good",reason="ok",user="chat"}' in text
    assert 'chaoslab_client_latency_seconds_bucket{le="2.7273"' in text
    assert 'le="3.3"' in text


def test_two_workers_write_two_logs(distributed: Finished) -> None:
    """With --workers 2 each worker writes its own request log."""
    assert len(distributed.files) == 2


def test_two_workers_counts_add_up_exactly(distributed: Finished) -> None:
    """The two workers' logs sum exactly to the master's aggregated request count."""
    per_worker = Counter(r.worker for r in distributed.records)
    assert len(per_worker) == 2
    assert all(count > 0 for count in per_worker.values())
    assert sum(per_worker.values()) == distributed.locust_total
