"""collect.save against a real Prometheus holding known samples, and the report built on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaoslab.run.collect import save
from reports.build import build_report
from reports.promdata import PromData
from reports.rundata import load_run
from rundir import Component, Stack, Targets, write_stack
from tests.fixtures.prometheus import KnownPrometheus


def _stack(url: str | None) -> Stack:
    return Stack(
        phase="v3",
        front_door="http://127.0.0.1:1",
        api_key="k",
        prometheus_url=url,
        targets=Targets(availability=0.999, latency_p95_s=2.5, ttft_p95_s=1.0),
        components=(
            Component(name="fake-openai-1", kind="provider", provider="openai", vendor="openai"),
        ),
    )


@pytest.fixture(scope="module")
def saved(known_prometheus: KnownPrometheus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run directory whose prom/ was saved from the known Prometheus."""
    run = tmp_path_factory.mktemp("run")
    stack = _stack(known_prometheus.server.url)
    write_stack(run, stack)
    index = save(stack, run, start=known_prometheus.start, end=known_prometheus.end)
    assert index.errors == []
    return run


def test_saves_the_lab_families_only(saved: Path) -> None:
    """chat_*, fake_llm_* and up are saved; go_* is not."""
    names = {p.stem for p in (saved / "prom").glob("*.json")}
    assert {"chat_http_requests_total", "fake_llm_requests_total", "up"} <= names
    assert "go_goroutines" not in names
    assert {"index", "scrapes"} <= names


def test_counter_increase_is_the_difference_of_samples(saved: Path) -> None:
    """200s grew 10/s for 120 s, 503s by 30: the saved data says 1200 and 30 exactly."""
    prom = PromData.load(saved)
    assert prom is not None
    by_status = prom.increase_by("chat_http_requests_total", "status", {"route": "/v1/chat"})
    assert by_status == {"200": pytest.approx(1200.0), "503": pytest.approx(30.0)}


def test_samples_are_saved_at_scrape_resolution(saved: Path) -> None:
    """A range query at the 1 s scrape step keeps all 121 samples of a series."""
    data = json.loads((saved / "prom" / "up.json").read_text())
    assert data["step"] == 1.0
    replica_1 = next(s for s in data["series"] if s["labels"]["instance"] == "replica-1")
    assert len(replica_1["points"]) == 121


def test_scrape_summary_counts_and_down_times(
    saved: Path, known_prometheus: KnownPrometheus
) -> None:
    """replica-1 scraped every second (no gap), replica-2 every other second (a 2 s gap between
    each two scrapes) and down at +10, +12."""
    prom = PromData.load(saved)
    assert prom is not None
    assert prom.scrapes is not None
    by_name = {t.instance: t for t in prom.scrapes.targets}
    # 120 or 121: whether the range's first instant counts differs across Prometheus versions
    assert by_name["replica-1"].scrapes in {120, 121}
    assert by_name["replica-2"].scrapes in {60, 61}
    assert [t - known_prometheus.start for t in by_name["replica-2"].down] == [10.0, 12.0]
    assert prom.scrapes.expected == 120
    assert by_name["replica-1"].gaps == []
    gaps = by_name["replica-2"].gaps
    assert len(gaps) == by_name["replica-2"].scrapes - 1
    assert {b - a for a, b in gaps} == {2.0}


def test_report_on_saved_data(saved: Path, known_prometheus: KnownPrometheus) -> None:
    """Server count, mitigation, provider view and invalid reasons from the real data."""
    from rundir import Event, append_events

    t0 = known_prometheus.start
    append_events(saved, [
        Event(t=t0, kind="run_start", detail={"scenario": "provider-outage"}),
        Event(t=t0 + 60, kind="fault_start", id="f1", target="primary-provider", action="outage"),
        Event(t=t0 + 90, kind="fault_end", id="f1"),
        Event(t=t0 + 120, kind="run_end", detail={"status": "ok"}),
    ])  # fmt: skip
    report = build_report(load_run(saved))  # no requests.jsonl here: that reason comes first
    assert report.invalid_reasons[0].startswith("no valid request")
    prom = PromData.load(saved)
    assert prom is not None
    assert prom.scrapes is not None
    replica_2 = next(t for t in prom.scrapes.targets if t.instance == "replica-2")
    assert replica_2.first is not None
    assert replica_2.last is not None
    scrapes, span = replica_2.scrapes, round(replica_2.last - replica_2.first) + 1
    assert report.server is not None
    assert report.server.requests == pytest.approx(1230.0)
    assert report.server.availability == pytest.approx(1200 / 1230)
    window = report.windows[0]
    assert window.mitigation_s == pytest.approx(5.0)
    assert window.mitigation_kind == "breaker opened"
    by_name = {p.provider: p for p in report.providers}
    assert set(by_name) == {"openai", "anthropic"}
    assert by_name["anthropic"].failovers_to == pytest.approx(50.0)
    openai = by_name["openai"]
    assert openai.attempts == pytest.approx(1320.0)
    assert openai.errors == pytest.approx(240.0)
    assert openai.failovers_from == pytest.approx(50.0)
    assert openai.breaker_transitions == {"open": pytest.approx(1.0)}
    assert openai.fake_requests == pytest.approx(1320.0)
    assert max(v for _, v in openai.breaker_timeline) == 2.0
    assert report.invalid_reasons[1:] == [
        f"Prometheus missed scrapes of replica-2 (replica): {scrapes} of {span} expected",
        "replica-2 (replica) was down at +10 s, outside every fault window",
    ]


def test_without_prometheus_the_index_says_why(tmp_path: Path) -> None:
    """A stack without Prometheus: save returns an index naming it, raises nothing."""
    index = save(_stack(None), tmp_path, start=0.0, end=1.0)
    assert index.errors == ["the stack has no Prometheus (stack.json: prometheus_url)"]


def test_unreachable_prometheus_is_an_error_entry(tmp_path: Path) -> None:
    """A dead Prometheus URL is listed in index.errors, quickly, without an exception."""
    from lab.net import free_port

    index = save(_stack(f"http://127.0.0.1:{free_port()}"), tmp_path, start=0.0, end=1.0,
                 timeout=2.0)  # fmt: skip
    assert index.errors
    assert "status/config" in index.errors[0]
