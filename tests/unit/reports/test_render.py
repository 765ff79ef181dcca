"""Markdown, JSON and JUnit renderings of constructed runs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from reports import render_all
from reports.render import read_report
from reports.schema import SCHEMA_PATH, schema_text
from tests.unit.reports.builder import RunBuilder


def _breach(tmp_path: Path) -> RunBuilder:
    return RunBuilder(tmp_path).requests(rate=20, fails=lambda t: 22 <= t < 25).fault(20, 30)


def test_render_all_writes_four_files_and_the_exit_code(tmp_path: Path) -> None:
    """report.html/.md/.json/.xml land in the run dir; a breach exits 1."""
    result = render_all(_breach(tmp_path).write())
    assert result.exit_code == 1
    assert sorted(p.name for p in result.paths.values()) == [
        "report.html", "report.json", "report.md", "report.xml",
    ]  # fmt: skip
    assert result.text.startswith("provider-outage on V3")


def test_bad_run_dir_is_exit_2_with_one_line(tmp_path: Path) -> None:
    """A directory without stack.json: exit 2 and a one-line error naming the fix."""
    result = render_all(tmp_path)
    assert result.exit_code == 2
    assert result.report is None
    assert "\n" not in result.error
    assert "chaoslab up" in result.error


def test_json_validates_against_the_published_schema(tmp_path: Path) -> None:
    """report.json validates against docs/report.schema.json and reads back."""
    result = render_all(_breach(tmp_path).write())
    document = json.loads(result.paths["json"].read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["schema"] == "chaoslab-report"
    assert document["version"] == 1
    assert read_report(result.paths["json"]).status == "breached"


def test_published_schema_matches_the_model() -> None:
    """docs/report.schema.json is what `python -m reports.schema` generates now."""
    assert SCHEMA_PATH.read_text() == schema_text()


def test_markdown_leads_with_the_verdict_and_lists_windows(tmp_path: Path) -> None:
    """The Markdown starts with the badge and has a fault-window row."""
    text = render_all(_breach(tmp_path).write()).paths["md"].read_text()
    assert text.startswith("## ❌ SLA breached: provider-outage on V3")
    assert "| 20-30 s | primary-provider outage | 70.00 % | 60 |" in text


def test_markdown_shows_overrides(tmp_path: Path) -> None:
    """Every output names the scenario's overrides."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.info["overrides"] = {"availability": 0.95}
    result = render_all(builder.write())
    assert "availability: 0.999 → 0.95 (loosens)" in result.paths["md"].read_text()
    assert "override: availability 0.999 -> 0.95" in result.text
    assert "scenario override" in result.paths["html"].read_text()
    assert 'name="override.availability" value="0.999 -&gt; 0.95 (loosens)"' in (
        result.paths["xml"].read_text()
    )
    assert result.report is not None
    assert result.report.overrides[0].scenario_value == 0.95


def _cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()  # noqa: S314 - our own file
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_junit_has_one_case_per_target(tmp_path: Path) -> None:
    """A breach is a <failure> on availability; a passing latency has no child verdict."""
    cases = _cases(render_all(_breach(tmp_path).write()).paths["xml"])
    assert set(cases) == {
        "availability", "latency_p95", "ttft_p95", "check:max_attempts_per_request",
        "check:max_attempts_per_request:f1", "check:breaker_opens_within_failures",
        "check:failover_s", "check:mixed_answers", "check:burn_rate",
    }  # fmt: skip
    assert cases["availability"].find("failure") is not None
    assert cases["latency_p95"].find("failure") is None
    assert cases["ttft_p95"].find("skipped") is not None  # no streams: not exercised


def test_junit_cases_carry_the_time_they_judged(tmp_path: Path) -> None:
    """A run-wide case lasts the run; a fault window's check its window; a steady-state
    check the time before / inside / after the faults (not every case the whole run)."""
    builder = _breach(tmp_path).steady_check("before", holds=True, requests=40)
    builder.steady_check("during", holds=False, requests=40)
    builder.steady_check("after", holds=True, requests=40)
    run = builder.write()
    cases = _cases(render_all(run).paths["xml"])
    total = float(cases["availability"].get("time", "0"))
    assert total > 30
    assert float(cases["check:max_attempts_per_request:f1"].get("time", "0")) == 10.0
    assert float(cases["check:before:steady state"].get("time", "0")) == 20.0
    assert float(cases["check:during:steady state"].get("time", "0")) == 10.0
    assert float(cases["check:after:steady state"].get("time", "0")) == total - 30


def test_junit_inconclusive_is_skipped_or_failed_under_gate(tmp_path: Path) -> None:
    """Inconclusive: <skipped> with the count needed; under --gate: <failure>."""
    run = RunBuilder(tmp_path).requests(rate=20).write()
    skipped = _cases(render_all(run).paths["xml"])["availability"].find("skipped")
    assert skipped is not None
    assert "need ≥ 3,838 requests" in skipped.get("message", "")
    gated = _cases(render_all(run, gate=True).paths["xml"])["availability"]
    assert gated.find("failure") is not None


def test_junit_invalid_run_is_an_error(tmp_path: Path) -> None:
    """An invalid run makes every case an <error> that names why."""
    builder = RunBuilder(tmp_path).requests(rate=20)
    builder.finished = False
    cases = _cases(render_all(builder.write()).paths["xml"])
    error = cases["availability"].find("error")
    assert error is not None
    assert "did not finish" in error.get("message", "")


def test_html_is_self_contained_with_one_band_per_window(tmp_path: Path) -> None:
    """No external URL in the HTML; each time plot has one shaded band per window."""
    builder = _breach(tmp_path).fault(40, 45, fault_id="f2")
    html = render_all(builder.write()).paths["html"].read_text()
    for external in ('src="http', 'href="http', "url(http", "@import", "https://"):
        assert external not in html
    assert "<script" not in html
    for plot in ("availability", "latency"):
        assert html.count(f'id="fault-{plot}-') == 2
    assert html.index('id="verdict"') < html.index('id="hypothesis"') < html.index('id="plots"')
