"""``collect_upstream`` copies the fakes' request-log lines of a run into ``RUN/upstream/``."""

from __future__ import annotations

from pathlib import Path

import msgspec

from chaoslab.run.upstream import collect_upstream
from rundir import Component, Stack, Targets, UpstreamRecord, read_upstream
from rundir.layout import UPSTREAM_DIR

START, END = 1000.0, 1100.0


def _line(t: float, rid: str) -> bytes:
    record = UpstreamRecord(t=t, rid=rid, vendor="openai", status=200, outcome="ok")
    return msgspec.json.encode(record) + b"\n"


def _stack(*components: Component) -> Stack:
    return Stack(
        phase="v2", front_door="http://127.0.0.1:1", api_key="k",
        targets=Targets(availability=0.99, latency_p95_s=1.0, ttft_p95_s=1.0),
        components=components,
    )  # fmt: skip


def _provider(name: str, log: Path | None) -> Component:
    extra = {"base_url": "http://127.0.0.1:2/v1", "mark": 1}
    if log is not None:
        extra["request_log"] = str(log)
    return Component(name=name, kind="provider", extra=extra)


def test_lines_inside_the_window_and_margin_are_copied(tmp_path: Path) -> None:
    """Lines from start - 5 s to end + 5 s are copied verbatim, the others are not."""
    log = tmp_path / "openai.jsonl"
    lines = [_line(t, f"r{t:g}") for t in (990.0, 995.0, 1050.0, 1105.0, 1110.0)]
    log.write_bytes(b"".join(lines))
    run = tmp_path / "run"
    copied = collect_upstream(_stack(_provider("fake-openai", log)), run, start=START, end=END)
    assert copied == 3
    assert (run / UPSTREAM_DIR / "fake-openai.jsonl").read_bytes() == b"".join(lines[1:4])
    assert [r.rid for r in read_upstream(run)["fake-openai"]] == ["r995", "r1050", "r1105"]


def test_a_cut_last_line_is_left_out(tmp_path: Path) -> None:
    """A last line cut mid-write is not copied (nor counted)."""
    log = tmp_path / "openai.jsonl"
    whole = _line(1010.0, "a")
    log.write_bytes(whole + _line(1020.0, "b")[:25])
    run = tmp_path / "run"
    assert collect_upstream(_stack(_provider("fake-openai", log)), run, start=START, end=END) == 1
    assert (run / UPSTREAM_DIR / "fake-openai.jsonl").read_bytes() == whole


def test_missing_logs_and_providers_without_one_are_skipped(tmp_path: Path) -> None:
    """A log that is not there and a provider without ``request_log`` give no file; the
    other provider's lines are still copied."""
    present = tmp_path / "b.jsonl"
    present.write_bytes(_line(1001.0, "x"))
    stack = _stack(
        _provider("fake-a", tmp_path / "missing.jsonl"),
        _provider("fake-external", None),
        _provider("fake-b", present),
        Component(name="redis", kind="redis", extra={"request_log": str(present)}),
    )
    run = tmp_path / "run"
    assert collect_upstream(stack, run, start=START, end=END) == 1
    assert sorted(p.name for p in (run / UPSTREAM_DIR).iterdir()) == ["fake-b.jsonl"]


def test_a_second_collection_overwrites(tmp_path: Path) -> None:
    """Collecting again with another window replaces the file instead of appending."""
    log = tmp_path / "openai.jsonl"
    log.write_bytes(_line(1001.0, "early") + _line(1090.0, "late"))
    stack = _stack(_provider("fake-openai", log))
    run = tmp_path / "run"
    collect_upstream(stack, run, start=START, end=END)
    assert collect_upstream(stack, run, start=1080.0, end=END, margin_s=0.0) == 1
    assert [r.rid for r in read_upstream(run)["fake-openai"]] == ["late"]
