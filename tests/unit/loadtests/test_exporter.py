"""The client exporter's stream SLIs: one observation per answered stream, read from the
same ``RequestRecord`` the request log gets (real registry, no network)."""

from __future__ import annotations

from loadtests.client import Exchange, to_record
from loadtests.exporter import ITL_BUCKETS, ClientMetrics
from rundir import RequestRecord


def _metrics() -> ClientMetrics:
    return ClientMetrics(latency_targets=[2.5], ttft_targets=[1.0])


def _record(seen: Exchange, *, stream: bool = True) -> RequestRecord:
    return to_record(
        seen, t=1.0, latency_s=1.2, user="stream", name="/v1/chat", stream=stream,
        expected=(), worker="w",
    )  # fmt: skip


def _value(metrics: ClientMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_a_complete_stream_feeds_gap_rate_tokens_and_completion() -> None:
    """Six tokens with a 0.5 s last gap: p95 gap 0.5 s, 5/0.9 tokens/s, six tokens, one
    complete answered stream."""
    metrics = _metrics()
    times = [10.0, 10.1, 10.2, 10.3, 10.4, 10.9]
    metrics.observe(_record(Exchange(status=200, done=True, ttft_s=0.2, token_times=times)))
    itl = "chaoslab_client_stream_itl_p95_seconds"
    assert _value(metrics, f"{itl}_count", user="stream") == 1
    assert _value(metrics, f"{itl}_sum", user="stream") == 0.5
    assert _value(metrics, f"{itl}_bucket", user="stream", le="0.25") == 0
    assert _value(metrics, f"{itl}_bucket", user="stream", le="0.5") == 1
    rate = "chaoslab_client_stream_tokens_per_second"
    assert _value(metrics, f"{rate}_sum", user="stream") == round(5 / 0.9, 3)
    assert _value(metrics, "chaoslab_client_stream_tokens_total", user="stream") == 6
    answered = "chaoslab_client_streams_answered_total"
    assert _value(metrics, answered, user="stream", complete="true") == 1
    assert _value(metrics, answered, user="stream", complete="false") == 0


def test_a_stream_cut_before_its_final_event_counts_as_answered_incomplete() -> None:
    """A 200 stream without ``done``: complete="false", its tokens still counted."""
    metrics = _metrics()
    metrics.observe(_record(Exchange(status=200, done=False, token_times=[1.0, 1.2])))
    answered = "chaoslab_client_streams_answered_total"
    assert _value(metrics, answered, user="stream", complete="false") == 1
    assert _value(metrics, answered, user="stream", complete="true") == 0
    assert _value(metrics, "chaoslab_client_stream_tokens_total", user="stream") == 2


def test_an_unanswered_stream_or_a_plain_request_feeds_no_stream_sli() -> None:
    """A 503 stream and a non-stream 200 count as requests but add no stream observation."""
    metrics = _metrics()
    metrics.observe(_record(Exchange(status=503)))
    metrics.observe(_record(Exchange(status=200, done=True), stream=False))
    assert _value(metrics, "chaoslab_client_requests_total", user="stream", outcome="failure",
                  reason="http_503") == 1  # fmt: skip
    answered = "chaoslab_client_streams_answered_total"
    assert _value(metrics, answered, user="stream", complete="false") == 0
    assert _value(metrics, answered, user="stream", complete="true") == 0
    assert _value(metrics, "chaoslab_client_stream_itl_p95_seconds_count", user="stream") == 0


def test_itl_buckets_span_one_millisecond_to_two_seconds() -> None:
    """The gap histogram resolves a fake's few ms and a 2 s stall."""
    assert ITL_BUCKETS[0] == 0.001
    assert ITL_BUCKETS[-1] == 2.0
    assert list(ITL_BUCKETS) == sorted(set(ITL_BUCKETS))
