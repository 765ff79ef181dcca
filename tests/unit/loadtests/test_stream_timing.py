"""A stream's token timing as the client records it (``to_record``)."""

from __future__ import annotations

from loadtests.client import Exchange, to_record


def _record(seen: Exchange, *, stream: bool = True) -> dict[str, object]:
    record = to_record(
        seen, t=1.0, latency_s=1.0, user="stream", name="/v1/chat", stream=stream,
        expected=(), worker="w",
    )  # fmt: skip
    return {
        "tokens": record.tokens,
        "itl_p50_s": record.itl_p50_s,
        "itl_p95_s": record.itl_p95_s,
        "itl_max_s": record.itl_max_s,
        "tokens_per_s": record.tokens_per_s,
        "stream_complete": record.stream_complete,
        "reason": record.reason,
    }


def test_gaps_tokens_and_rate_of_a_complete_stream() -> None:
    """Five tokens 0.1 s apart then one 0.5 s later: gaps, max, tokens/s, complete."""
    times = [10.0, 10.1, 10.2, 10.3, 10.4, 10.9]
    seen = Exchange(status=200, done=True, ttft_s=0.2, token_times=times)
    got = _record(seen)
    assert got["tokens"] == 6
    assert got["itl_p50_s"] == 0.1
    assert got["itl_p95_s"] == 0.5
    assert got["itl_max_s"] == 0.5
    assert got["tokens_per_s"] == round(5 / 0.9, 3)
    assert got["stream_complete"] is True


def test_a_stream_without_its_final_event_is_recorded_incomplete() -> None:
    """A 200 stream cut before ``done``: stream_complete false, reason stream_incomplete."""
    got = _record(Exchange(status=200, done=False, token_times=[1.0, 1.2]))
    assert got["stream_complete"] is False
    assert got["reason"] == "stream_incomplete"
    assert got["tokens"] == 2


def test_one_token_has_no_gap_and_a_non_stream_has_no_stream_fields() -> None:
    """A single token gives no inter-token figures; a plain request gives none at all."""
    one = _record(Exchange(status=200, done=True, token_times=[1.0]))
    assert one["tokens"] == 1
    assert one["itl_p50_s"] is None
    assert one["tokens_per_s"] is None
    plain = _record(Exchange(status=200), stream=False)
    assert plain["tokens"] is None
    assert plain["stream_complete"] is None
