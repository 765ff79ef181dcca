"""LLM stream SLIs and the attempts-per-request check, on constructed run directories."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reports import render_all
from reports.build import build_report
from reports.model import LlmReport, Report
from reports.rundata import load_run
from rundir import RequestRecord
from tests.unit.reports.builder import T0, RunBuilder


def _stream(offset: float, i: int, *, complete: bool = True, status: int = 200) -> RequestRecord:
    """A stream whose figures grow with ``i`` (1..): TTFT 0.0i s, p95 gap 0.0i s..."""
    answered = 200 <= status < 300
    good = answered and complete
    return RequestRecord(
        t=T0 + offset, user="stream", name="/v1/chat", stream=True,
        outcome="good" if good else "failure",
        reason="ok" if good else ("stream_incomplete" if answered else f"http_{status}"),
        status=status, latency_s=1.0,
        ttft_s=i / 100 if answered else None,
        tokens=10 if answered else None,
        itl_p50_s=i / 200 if answered else None,
        itl_p95_s=i / 100 if answered else None,
        itl_max_s=i / 50 if answered else None,
        tokens_per_s=float(i) if answered else None,
        stream_complete=complete if answered else None,
    )  # fmt: skip


def _streams(builder: RunBuilder, count: int = 100) -> RunBuilder:
    builder.records += [_stream(i * 0.5, i + 1) for i in range(count)]
    return builder


def _llm(report: Report) -> LlmReport:
    assert report.llm is not None
    return report.llm


def test_ttft_itl_and_tokens_per_s_quantiles(tmp_path: Path) -> None:
    """100 streams with figures 1..100: TTFT and ITL p50/p95/p99 by nearest rank."""
    report = build_report(load_run(_streams(RunBuilder(tmp_path, duration=60)).write()))
    sli = _llm(report).sli
    assert sli.ttft == pytest.approx({"p50": 0.50, "p95": 0.95, "p99": 0.99})
    assert sli.itl == pytest.approx({"p50": 0.50, "p95": 0.95, "p99": 0.99})
    assert sli.itl_max_s == pytest.approx(2.0)
    assert sli.tokens_per_s_p50 == pytest.approx(50.0)
    assert sli.tokens == 1000


def test_completion_rate_counts_streams_answered_without_final_event(tmp_path: Path) -> None:
    """3 complete, 1 cut (200 without done) and one 503: completion 3 / 4 answered."""
    builder = RunBuilder(tmp_path, duration=10)
    builder.records += [_stream(i, i + 1) for i in range(3)]
    builder.records += [_stream(4, 4, complete=False), _stream(5, 5, status=503)]
    sli = _llm(build_report(load_run(builder.write()))).sli
    assert (sli.streams, sli.answered, sli.complete) == (5, 4, 3)
    assert sli.completion_rate == pytest.approx(0.75)


def test_stream_slis_per_fault_window(tmp_path: Path) -> None:
    """A window over the first 10 s holds only the 20 streams sent inside it."""
    builder = _streams(RunBuilder(tmp_path, duration=60)).fault(0, 10)
    window = _llm(build_report(load_run(builder.write()))).windows[0]
    assert (window.id, window.start, window.end) == ("f1", 0.0, 10.0)
    assert window.sli.answered == 20
    assert window.sli.ttft["p50"] == pytest.approx(0.10)


def test_no_stream_is_not_exercised_in_every_output(tmp_path: Path) -> None:
    """Without a stream the SLIs are 'not exercised' (no completion rate), never a pass."""
    run = RunBuilder(tmp_path, duration=10).requests(rate=10).write()
    written = render_all(run)
    data = json.loads(written.paths["json"].read_text())
    assert data["llm"]["sli"]["exercised"] is False
    assert data["llm"]["sli"]["completion_rate"] is None
    assert "LLM stream SLIs" in written.paths["md"].read_text()
    assert "not exercised" in written.paths["md"].read_text()
    assert "<h2>LLM stream SLIs</h2>" in written.paths["html"].read_text()


def _check_state(builder: RunBuilder) -> tuple[str, str]:
    """The check's state in the report and its JUnit case's child tag (or 'pass')."""
    written = render_all(builder.write())
    state = json.loads(written.paths["json"].read_text())["llm"]["checks"][0]["state"]
    root = ET.parse(written.paths["xml"]).getroot()  # noqa: S314  # our own file
    name = "check:max_attempts_per_request"
    case = next(c for c in root.iter("testcase") if c.get("name") == name)
    children = [c.tag for c in case if c.tag in {"failure", "skipped"}]
    return state, children[0] if children else "pass"


def _attempts(builder: RunBuilder, *, attempts: float, requests: float) -> RunBuilder:
    builder.series("chat_upstream_attempts_per_request_count", {}, [(0, 0), (60, requests)])
    return builder.series("chat_upstream_attempts_per_request_sum", {}, [(0, 0), (60, attempts)])


@pytest.mark.parametrize(
    ("threshold", "attempts", "rate", "expected"),
    [
        (2.0, 1200.0, 20.0, ("pass", "pass")),
        (2.0, 3000.0, 20.0, ("fail", "failure")),
        (None, 3000.0, 20.0, ("not_applicable", "skipped")),
        (2.0, 3000.0, 0.0, ("not_exercised", "skipped")),
    ],
    ids=["within-bound", "over-bound", "no-threshold", "no-request"],
)
def test_max_attempts_per_request_check_states(
    tmp_path: Path,
    threshold: float | None,
    attempts: float,
    rate: float,
    expected: tuple[str, str],
) -> None:
    """1.0 vs 2.5 attempts per request against the phase's bound: pass, fail, n/a, n/e."""
    builder = RunBuilder(tmp_path, duration=60).requests(rate=rate)
    builder.phase_config = {"checks": {} if threshold is None else {
        "max_attempts_per_request": threshold}}  # fmt: skip
    assert _check_state(_attempts(builder, attempts=attempts, requests=1200.0)) == expected


def test_attempts_check_per_fault_window(tmp_path: Path) -> None:
    """3 attempts per request inside the window fail its check while the run's 1.33 passes."""
    builder = RunBuilder(tmp_path, duration=60).requests(rate=20).fault(10, 20)
    builder.phase_config = {"checks": {"max_attempts_per_request": 2.0}}
    seconds = range(61)
    total = [20.0 * t if t < 10 else 200.0 + 60 * (t - 10) if t <= 20 else 800.0 + 20 * (t - 20)
             for t in seconds]  # fmt: skip
    builder.series("chat_upstream_attempts_per_request_count", {}, [(t, 20.0 * t) for t in seconds])
    points = list(zip(seconds, total, strict=True))
    builder.series("chat_upstream_attempts_per_request_sum", {}, points)
    checks = _llm(build_report(load_run(builder.write()))).checks
    states = [(c.window, c.state, round(c.value or 0, 2)) for c in checks
              if c.name == "max_attempts_per_request"]  # fmt: skip
    assert states == [(None, "pass", 1.33), ("f1", "fail", 3.0)]
