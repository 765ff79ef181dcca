"""One truth (issue 18): on the README's main job (`chaoslab run --phase v1 --scenario
provider-outage --duration 30s`, here with --seed 7 --fresh) one request count in the live
line, the summary, HTML, Markdown, JSON, JUnit and compare; `run` and `report` return the
same code (a breach exits 1 without --gate); the seed is the stack's; recovery is a number;
the outage window shows its cache hits. And a V3 baseline on a stack started with
`chaoslab up --seed 7` says seed 7 and reconciles the client's and the service's counts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rundir import read_requests, read_upstream
from tests.e2e.conftest import ROOT, Finished

pytestmark = pytest.mark.timeout(900)


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _chaoslab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "chaoslab", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)  # fmt: skip


def test_one_request_count_in_every_output(outage_v1: Finished, tmp_path: Path) -> None:
    """The last live line, the run's summary line, report.json, .md, .html, .xml and
    `compare` all give the same number of requests."""
    run = outage_v1
    counts: dict[str, int] = {}
    live = [line for line in run.output.splitlines() if "req/s" in line and " requests · " in line]
    counts["live line"] = _count(re.findall(r"([\d,]+) requests", live[-1])[0])
    summary = next(line for line in run.output.splitlines()
                   if line.startswith("provider-outage on V1 · ") and "exit" in line)  # fmt: skip
    counts["summary"] = _count(re.findall(r"· ([\d,]+) requests", summary)[0])
    counts["json"] = run.report["sli"]["requests"]
    markdown = (run.run_dir / "report.md").read_text()
    counts["md"] = _count(re.findall(r"^([\d,]+) requests \(", markdown, re.M)[0])
    html = (run.run_dir / "report.html").read_text()
    counts["html"] = _count(re.findall(r"· ([\d,]+) requests over", html)[0])
    junit = (run.run_dir / "report.xml").read_text()
    counts["junit"] = int(re.findall(r'name="requests" value="(\d+)"', junit)[0])
    compared = _chaoslab("compare", str(run.run_dir), str(run.run_dir), "--out",
                         str(tmp_path / "cmp"), cwd=tmp_path)  # fmt: skip
    row = next(line for line in compared.stdout.splitlines() if line.startswith("V1 · "))
    counts["compare"] = _count(row.split()[4])
    assert len(set(counts.values())) == 1, counts
    assert counts["json"] > 100


def test_run_and_report_return_the_same_code_and_a_breach_is_1(
    outage_v1: Finished, tmp_path: Path
) -> None:
    """V1 breaches the outage: `run` (no --gate) exits 1, `report` on its directory too, and
    every banner names exit 1."""
    assert outage_v1.code == 1, outage_v1.output[-3000:]
    assert outage_v1.report["exit_code"] == 1
    again = _chaoslab("report", str(outage_v1.run_dir), "--out", str(tmp_path / "again"),
                      cwd=tmp_path)  # fmt: skip
    assert again.returncode == outage_v1.code
    assert "exit 1 (breached)" in (outage_v1.run_dir / "report.html").read_text()
    assert "exit 1 (breached)" in (outage_v1.run_dir / "report.md").read_text()
    assert "· BREACHED · exit 1" in outage_v1.output


def test_the_main_job_names_the_stacks_seed_and_recovers_in_a_number(outage_v1: Finished) -> None:
    """Seed 7 in the report and its Reproduce commands; the outage window's recovery is a
    number of seconds (not "never") on a 30 s run."""
    report = outage_v1.report
    assert report["run"]["seed"] == 7
    assert "chaoslab up --phase v1 --seed 7" in report["run"]["up_command"]
    window = report["windows"][0]
    assert window["recovered"], window
    assert isinstance(window["recovery_s"], float)
    assert window["recovery_s"] < 10.0


def test_the_v1_outage_window_shows_its_cache_hits(outage_v1: Finished) -> None:
    """V1's answers while its one provider is down are cache hits (every good answer that
    ended before the fault's end and says whether it was cached, except those the provider
    received before its first 503), and the reports count them per window."""
    window = outage_v1.report["windows"][0]
    sli = window["sli"]
    assert sli["cache_hits"], sli
    t0 = outage_v1.report["run"]["t0"]
    start, end = t0 + window["start"], t0 + window["end"]
    answered_in_outage = [
        r for r in read_requests(outage_v1.run_dir)
        if start <= r.t and r.t + r.latency_s < end and r.outcome == "good"
        and r.cached is not None
    ]  # fmt: skip
    assert answered_in_outage
    # fault_start is written before the harm is done (its undo first): a request sent in
    # those milliseconds reached the provider before its outage and is a real answer
    upstream = [u for records in read_upstream(outage_v1.run_dir).values() for u in records]
    outage_began = min(u.t for u in upstream if u.status == 503 and u.t >= start)
    reached_before = {u.rid for u in upstream if u.status == 200 and u.t < outage_began}
    uncached = [r for r in answered_in_outage if not r.cached]
    assert all(r.request_id in reached_before for r in uncached), (outage_began, uncached)
    assert len(uncached) < len(answered_in_outage)
    markdown = (outage_v1.run_dir / "report.md").read_text()
    assert f"{sli['cache_hits']:,} of {sli['good']:,} good" in markdown


def test_v3_baseline_on_a_seed_7_stack(baseline_v3_seed7: Finished) -> None:
    """A run without --seed on a stack started with --seed 7 says seed 7, and the client's
    and the service's counts agree per replica within max(0.1 %, 2 requests)."""
    run = baseline_v3_seed7
    assert run.code in (0, 1, 3), run.output[-3000:]
    report = run.report
    assert report["run"]["seed"] == 7
    assert "--seed 7" in report["run"]["up_command"]
    server = report["server"]
    assert server["replicas"], server
    assert len(server["replicas"]) == 3
    allowed = max(0.001 * server["client_requests"], 2)
    assert abs(server["requests"] - server["client_requests"]) <= allowed, server
    assert server["reconciled"] is True
    assert not [w for w in report["warnings"] if "counts differ" in w]
