"""The runner's live statistics read the request logs while Locust writes them."""

from __future__ import annotations

from pathlib import Path

import msgspec

from chaoslab.run.live import LiveStats
from rundir import RequestRecord


def _line(t: float, outcome: str, latency: float = 0.1) -> bytes:
    record = RequestRecord(t=t, user="chat", name="/v1/chat", outcome=outcome,  # type: ignore[arg-type]
                           reason="ok", latency_s=latency)  # fmt: skip
    return msgspec.json.encode(record) + b"\n"


def test_a_line_cut_mid_write_is_read_once_complete(tmp_path: Path) -> None:
    """A half-written last line waits for its end instead of being lost or misread."""
    path = tmp_path / "load" / "requests-local.jsonl"
    path.parent.mkdir()
    line = _line(100.0, "good")
    path.write_bytes(line[:10])
    stats = LiveStats(tmp_path)
    assert stats.poll() == 0
    with path.open("ab") as out:
        out.write(line[10:])
    assert stats.poll() == 1
    assert stats.good == 1


def test_every_worker_file_is_read(tmp_path: Path) -> None:
    """Records from each worker's log add up."""
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "requests-worker-1.jsonl").write_bytes(_line(1.0, "good"))
    (tmp_path / "load" / "requests-worker-2.jsonl").write_bytes(_line(1.0, "failure"))
    stats = LiveStats(tmp_path)
    stats.poll()
    assert (stats.total, stats.good, stats.failure) == (2, 1, 1)


def test_window_counts_requests_that_ended_in_it(tmp_path: Path) -> None:
    """A window holds the requests that ended inside it, with their availability and p95."""
    (tmp_path / "load").mkdir()
    lines = [_line(10.0 + i, "good" if i % 4 else "failure", latency=0.5) for i in range(8)]
    (tmp_path / "load" / "requests-local.jsonl").write_bytes(b"".join(lines))
    stats = LiveStats(tmp_path)
    stats.poll()
    window = stats.window(10.0, 14.0)  # ends at 10.5, 11.5, 12.5, 13.5
    assert window.requests == 4
    assert window.availability == 0.75
    assert window.p95_s == 0.5


def test_the_live_count_is_the_runs_count(tmp_path: Path) -> None:
    """Requests sent before the run's start are warm-up, those sent at or after its end are
    not the run's: the live total is what the report counts (``run.start <= t < run.end``)."""
    (tmp_path / "load").mkdir()
    path = tmp_path / "load" / "requests-local.jsonl"
    path.write_bytes(b"".join(_line(t, "good") for t in (1.0, 2.0)))
    stats = LiveStats(tmp_path)
    stats.since = float("inf")
    stats.poll()
    stats.since = 5.0
    with path.open("ab") as out:
        out.write(b"".join(_line(t, "good") for t in (4.9, 5.0, 9.99, 10.0, 11.0)))
    stats.until = 10.0
    stats.poll()
    assert (stats.warmup, stats.total) == (3, 2)
