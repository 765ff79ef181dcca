"""The cause on the page: who answered each failure, cache hits, the timeline of events and
the per-replica count, on a recorded V3 provider-freeze run and on constructed runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import msgspec
import pytest

from reports import build_report, load_run, render_all
from reports.render import render_markdown, render_text
from rundir import RequestRecord
from rundir.layout import LB_LOG_FILE
from tests.unit.reports.builder import T0, RunBuilder

FREEZE = Path(__file__).resolve().parents[2] / "fixtures" / "runs" / "v3-provider-freeze"


@pytest.fixture
def freeze_run(tmp_path: Path) -> Path:
    """A copy of the recorded V3 provider-freeze run (HAProxy's readiness check gave up on
    every replica while the provider was frozen)."""
    return Path(shutil.copytree(FREEZE, tmp_path / "run"))


def test_v3_freeze_failures_are_the_load_balancers_own_answers(freeze_run: Path) -> None:
    """Every failure of the recorded freeze, overall and in its window, came from HAProxy
    itself (no replica stamped it), and the text, Markdown and HTML say so."""
    result = render_all(freeze_run)
    report = result.report
    assert report is not None
    assert report.sli.failure > 200
    assert report.sli.failure_sources == {"load_balancer": report.sli.failure}
    window = report.windows[0]
    assert window.sli.failure_sources == {"load_balancer": window.sli.failure}
    sentence = "the load balancer itself (never reached a replica)"
    assert sentence in result.text
    assert sentence in (freeze_run / "report.md").read_text()
    assert sentence in (freeze_run / "report.html").read_text()


def test_v3_freeze_timeline_lists_haproxy_server_down_and_up(freeze_run: Path) -> None:
    """The timeline holds each replica's HAProxy DOWN (with the check's reason) inside the
    freeze, "no server available", each one's UP, and the breakers opening, in time order."""
    report = build_report(load_run(freeze_run))
    window = report.windows[0]
    lb = [e for e in report.events if e.kind == "lb_server"]
    down = {e.subject: e for e in lb if e.state == "down"}
    up = {e.subject: e for e in lb if e.state == "up"}
    replicas = {"replica-1", "replica-2", "replica-3"}
    assert set(down) == set(up) == replicas
    assert all("Layer7 timeout" in e.detail for e in down.values())
    assert all(window.start <= e.t <= window.end for e in down.values())
    assert all(e.t >= window.end for e in up.values())
    assert any(e.kind == "lb_backend" and e.state == "no server available" for e in report.events)
    opened = [e for e in report.events if e.kind == "breaker" and e.state == "open"]
    assert {e.subject for e in opened} == {f"{r} → openai" for r in replicas}
    assert [e.t for e in report.events] == sorted(e.t for e in report.events)
    workers = [e for e in report.events if e.kind == "worker"]
    assert [e.state for e in workers] == ["joined", "last seen"]
    assert "load balancer server: replica-1 down (Layer7 timeout" in render_text(report)
    assert "| load balancer server | replica-1 | down |" in render_markdown(report)


def test_without_the_load_balancers_log_the_timeline_has_no_server_events(
    freeze_run: Path,
) -> None:
    """The HAProxy events come from the run directory's copy of its log, nothing else."""
    (freeze_run / LB_LOG_FILE).unlink()
    report = build_report(load_run(freeze_run))
    assert not [e for e in report.events if e.kind.startswith("lb_")]
    assert [e for e in report.events if e.kind == "breaker"]


def test_v3_freeze_counts_reconcile_per_replica_with_the_lbs_answers_apart(
    freeze_run: Path,
) -> None:
    """Each replica's own count equals the client's requests it answered over its scrape
    span; the load balancer's 503s are shown apart; no divergence warning."""
    report = build_report(load_run(freeze_run))
    server = report.server
    assert server is not None
    assert [c.replica for c in server.replicas] == ["replica-1", "replica-2", "replica-3"]
    for count in server.replicas:
        assert abs(count.server - count.client) <= 2
    assert server.load_balancer_answers >= report.sli.failure
    assert server.reconciled is True
    assert not [w for w in report.warnings if "counts differ" in w]


def _cached(builder: RunBuilder, *, start: float, end: float) -> None:
    """Mark the good answers sent in [start, end) s as response-cache hits."""
    builder.records = [
        msgspec.structs.replace(r, cached=r.outcome == "good" and start <= r.t - T0 < end)
        for r in builder.records
    ]


def test_cache_hits_are_counted_per_window(tmp_path: Path) -> None:
    """A V1-like outage whose window's only successes are cache hits shows them there."""

    def fails(t: float) -> bool:
        return 20 <= t < 40 and int(t * 10) % 6 != 0

    builder = RunBuilder(tmp_path, phase="v1").requests(rate=10, fails=fails).fault(20, 40)
    _cached(builder, start=20, end=40)
    report = build_report(load_run(builder.write()))
    window = report.windows[0]
    assert window.sli.good > 0
    assert window.sli.cache_hits == window.sli.good
    assert report.sli.cache_hits == window.sli.good
    assert f"cache hits {window.sli.good} of {window.sli.good} good" in render_text(report)


def test_logs_without_the_fields_say_not_recorded(tmp_path: Path) -> None:
    """A log written before the client recorded cache hits: "not recorded", never 0."""
    report = build_report(load_run(RunBuilder(tmp_path).requests().write()))
    assert report.sli.cache_hits is None
    assert "cache hits not recorded" in render_text(report)


def test_a_count_divergence_is_a_warning_naming_its_likely_cause(freeze_run: Path) -> None:
    """Ten of replica-1's answers recorded as ending just after its last scrape (a client
    reading answers late): beyond max(0.1 %, 2), one warning that says so."""
    before = build_report(load_run(freeze_run))
    assert before.server is not None
    span = next(c.span for c in before.server.replicas if c.replica == "replica-1")
    last = before.run.t0 + span[1]
    path = freeze_run / "load" / "requests-local.jsonl"
    records = [
        msgspec.json.decode(line, type=RequestRecord) for line in path.read_bytes().splitlines()
    ]
    moved = 0
    for i, r in enumerate(records):
        if moved < 10 and r.replica == "replica-1" and last - 3 < r.t + r.latency_s <= last:
            records[i] = msgspec.structs.replace(r, latency_s=last + 0.1 - r.t)
            moved += 1
    path.write_bytes(b"\n".join(msgspec.json.encode(r) for r in records) + b"\n")
    report = build_report(load_run(freeze_run))
    assert report.server is not None
    assert report.server.reconciled is False
    warnings = [w for w in report.warnings if "counts differ" in w]
    assert len(warnings) == 1
    assert "+10 requests" in warnings[0]
    late = re.search(r"(\d+) client requests ended within 0.25 s after a replica's", warnings[0])
    assert late is not None
    assert int(late[1]) >= 10


def test_a_hedges_answer_is_the_windows_mitigation() -> None:
    """V4: the breaker counted at +4.8 s, another provider's (hedged) answer came at +0.93 s:
    mitigation reads 0.93 s and says who answered; a phase without mitigation keeps saying so."""
    from reports.model import FailoverTime, Sli, WindowSli
    from reports.windows import NOT_IN_PHASE, answered_around

    sli = Sli(requests=0, good=0, failure=0, excluded=0, availability=None,
              availability_interval=None, latency={}, ttft={})  # fmt: skip
    window = WindowSli(id="outage", target="primary-provider", action="fake", start=10.0,
                       end=20.0, closed=True, sli=sli, impact_s=None, mitigation_s=4.8,
                       mitigation_kind="breaker opened", recovery_s=0.0, recovered=True,
                       exercised=True)  # fmt: skip
    hedge = FailoverTime(window="outage", provider="openai", next_provider="anthropic",
                         seconds=0.93)  # fmt: skip
    [sooner] = answered_around([window], [hedge])
    assert sooner.mitigation_s == pytest.approx(0.93)
    assert sooner.mitigation_kind == "answered by anthropic"
    none = msgspec.structs.replace(window, mitigation_s=None, mitigation_kind=NOT_IN_PHASE)
    assert answered_around([none], [hedge])[0].mitigation_s is None


def test_the_service_view_counts_interrupted_streams_as_failures(tmp_path: Path) -> None:
    """100 answers the service counted 200, 5 of them streams it saw interrupted after their
    first token: its availability is 95 %, as the client counts a broken stream."""
    builder = RunBuilder(tmp_path, duration=10).requests(rate=10, latency=lambda t: 0.01)
    builder.series("chat_http_requests_total",
                   {"route": "/v1/chat", "method": "POST", "status": "200"},
                   [(float(t), 10.0 * t) for t in range(11)])  # fmt: skip
    builder.series("chat_stream_interruptions_total", {"provider": "openai", "kind": "cut"},
                   [(float(t), 0.5 * t) for t in range(11)])  # fmt: skip
    server = build_report(load_run(builder.write())).server
    assert server is not None
    assert (server.good, server.failure, server.stream_interruptions) == (95, 5, 5)
    assert server.availability == pytest.approx(0.95)
