"""The client exporter over real HTTP: a Prometheus scrape of a Locust process's
``/metrics`` shows the stream SLIs with their buckets and labels."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from loadtests.client import Exchange, to_record
from loadtests.exporter import ClientMetrics


def test_scrape_shows_stream_slis() -> None:
    """After one complete stream, /metrics has the gap and rate histograms, the answered
    counter by completion and the token counter, typed as Prometheus reads them."""
    metrics = ClientMetrics(latency_targets=[2.5], ttft_targets=[1.0])
    seen = Exchange(status=200, done=True, ttft_s=0.1, token_times=[5.0, 5.01, 5.02, 5.05])
    record = to_record(
        seen, t=1.0, latency_s=0.2, user="stream", name="/v1/chat", stream=True,
        expected=(), worker="w",
    )  # fmt: skip
    metrics.observe(record)
    port = metrics.serve()
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["chaoslab_client_stream_itl_p95_seconds"].type == "histogram"
    assert families["chaoslab_client_stream_tokens_per_second"].type == "histogram"
    assert families["chaoslab_client_streams_answered"].type == "counter"
    assert families["chaoslab_client_stream_tokens"].type == "counter"
    assert 'chaoslab_client_stream_itl_p95_seconds_bucket{le="0.001",user="stream"} 0.0' in text
    assert 'chaoslab_client_stream_itl_p95_seconds_bucket{le="0.035",user="stream"} 1.0' in text
    assert 'chaoslab_client_streams_answered_total{complete="true",user="stream"} 1.0' in text
    assert 'chaoslab_client_stream_tokens_total{user="stream"} 4.0' in text
