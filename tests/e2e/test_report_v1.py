"""The report on real runs of V1 (local backend): the CI gate passes a baseline and fails
(exit 1) on an outage, and the measurement is calibrated against what the fakes inject.

One V1 stack serves two `chaoslab run`s (each starts with no fault and its own counters): a
baseline, and a calibration run where the fake fails exactly 5 % of requests and holds every
first token for exactly 1 s. The outage is the session's V1 provider-outage run (conftest).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reports.promdata import PromData
from rundir import Stack
from tests.e2e.campaign import again_if_stalled
from tests.e2e.conftest import Finished
from tests.e2e.stack import bring_up

ERROR_RATE = 0.05
TTFT_S = 1.0

BASELINE = """
title = "Gate baseline"
hypothesis = "With nothing broken, V1 meets its targets."
teaches = "The gate passes when nothing is wrong."
tags = ["baseline"]

[load]
duration = "40s"
arrival_rate = 8
mix = { chat = 1, stream = 1 }
"""

CALIBRATION = f"""
title = "Calibration: a known error rate and first-token delay"
hypothesis = "The report measures what the fake injects: {ERROR_RATE:.0%} errors, {TTFT_S:g} s."
teaches = "A lab that measures wrongly is worse than none."
tags = ["calibration"]

[load]
duration = "60s"
users = 20
mix = {{ chat = 1, stream = 1 }}

[[faults]]
name = "known"
at = "0s"
duration = "60s"
target = "primary-provider"
action = "fake"
faults.errors = {{ rate = {ERROR_RATE}, mix = {{ "503" = 1 }} }}
faults.latency = {{ ttft = {{ dist = "fixed", ms = {TTFT_S * 1000:g} }} }}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from bring_up("v1", tmp_path_factory.mktemp("v1-report"), seed=3)


def _lab(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaoslab", *args],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False,
    )  # fmt: skip


def _run(stack: Stack, root: Path, scenario: str, *extra: str) -> tuple[int, Path, str]:
    """`chaoslab run` against the shared stack; returns (exit code, run dir, output)."""
    root.mkdir(parents=True, exist_ok=True)
    if scenario.lstrip().startswith("title"):
        path = root / "scenario.toml"
        path.write_text(scenario, encoding="utf-8")
        scenario = str(path)

    def run(out: Path) -> tuple[int, Path, str]:
        done = _lab("run", "--phase", "v1", "--scenario", scenario, "--stack", stack.stack_dir,
                    "--out", str(out), "--seed", "3", *extra, cwd=root)  # fmt: skip
        return done.returncode, out, done.stdout + done.stderr

    return again_if_stalled(run, root / "run")


def _report(run: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run / "report.json").read_text())
    return data


@pytest.fixture(scope="module")
def baseline(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    return _run(stack, tmp_path_factory.mktemp("baseline"), BASELINE, "--gate")


@pytest.fixture(scope="module")
def outage(outage_v1: Finished) -> tuple[int, Path, str]:
    """The session's V1 provider outage (the README's main job, 30 s, its own stack), which
    test_one_truth and test_no_secrets read too: a breach exits 1 with or without --gate."""
    return outage_v1.code, outage_v1.run_dir, outage_v1.output


@pytest.fixture(scope="module")
def calibration(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    code, run, output = _run(stack, tmp_path_factory.mktemp("calibration"), CALIBRATION)
    assert code == 0, output
    prom = PromData.load(run)
    assert prom is not None
    return {"run": run, "report": _report(run), "prom": prom}


def test_baseline_passes_the_gate(baseline: tuple[int, Path, str]) -> None:
    """A V1 baseline under --gate exits 0 with every target a conclusive pass."""
    code, run, output = baseline
    assert code == 0, output
    report = _report(run)
    assert report["status"] == "met", report["summary"]
    verdicts = {v["name"]: v["verdict"] for v in report["verdicts"]}
    assert verdicts["availability"] == verdicts["latency_p95"] == verdicts["ttft_p95"] == "pass"
    assert report["invalid_reasons"] == []
    xml = (run / "report.xml").read_text()
    assert 'failures="0"' in xml
    assert 'errors="0"' in xml


def test_outage_breaches_the_gate_with_exit_1(outage: tuple[int, Path, str]) -> None:
    """The provider outage on V1 (one provider, no failover) breaches availability: exit 1,
    and the fault window shows the impact."""
    code, run, output = outage
    assert code == 1, output
    report = _report(run)
    assert report["status"] == "breached"
    availability = next(v for v in report["verdicts"] if v["name"] == "availability")
    assert availability["verdict"] == "fail"
    (window,) = report["windows"]
    assert window["impact_s"] is not None
    assert window["sli"]["availability"] < 0.5


def test_rerendering_a_run_gives_the_same_verdict(
    outage: tuple[int, Path, str], tmp_path: Path
) -> None:
    """`chaoslab report RUN --gate` on the finished run reads only files and exits 1 again
    (written elsewhere: the run directory is the session's)."""
    _, run, _ = outage
    again = tmp_path / "again"
    done = _lab("report", str(run), "--gate", "--format", "json", "--out", str(again), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert _report(again)["status"] == "breached"


def _truth_availability(prom: PromData) -> float:
    """1 - rate x the share of the service's requests that reached the fake (the rest were
    answered from the response cache and cannot fail)."""
    reached = prom.increase("fake_llm_requests_total")
    served = prom.increase(
        "chat_http_requests_total", lambda labels: labels.get("route") == "/v1/chat"
    )
    return 1 - ERROR_RATE * reached / served


def test_availability_interval_contains_the_injected_truth(calibration: dict[str, Any]) -> None:
    """With the fake failing 5 % of what reaches it, the report's 95 % availability interval
    (inside the fault window, where the rate applied) contains the true availability."""
    window = calibration["report"]["windows"][0]["sli"]
    truth = _truth_availability(calibration["prom"])
    low, high = window["availability_interval"]["low"], window["availability_interval"]["high"]
    assert window["good"] + window["failure"] > 300
    assert low <= truth <= high, (low, truth, high)


def test_exact_ttft_is_within_5_percent(calibration: dict[str, Any]) -> None:
    """The first token held 1 s by the fake: inside the fault window the client's exact
    median TTFT is at least that and within 5 % of it."""
    ttft = calibration["report"]["windows"][0]["sli"]["ttft"]
    assert TTFT_S <= ttft["p50"] <= TTFT_S * 1.05, ttft


def test_histogram_ttft_is_within_its_bucket(calibration: dict[str, Any]) -> None:
    """The service's TTFT histogram puts the median inside the bucket holding 1 s
    (bounds 1.0 and 1.1: the ~1.1 spacing around targets)."""
    server = calibration["report"]["server"]
    assert 1.0 <= server["ttft"]["p50"] <= 1.1, server


def test_client_and_server_counts_reconcile(calibration: dict[str, Any]) -> None:
    """The service's own count and the client's requests that ended inside the span its
    counter covers agree within 0.1 %."""
    server = calibration["report"]["server"]
    assert server["client_requests"] > 300
    assert abs(server["difference"]) <= 0.001, server


def test_stream_slis_are_in_the_report(calibration: dict[str, Any]) -> None:
    """The report's LLM stream SLIs: the fault window's TTFT p50 is the fake's 1 s, gaps are
    ordered, tokens/s positive, completion near 1; V1 sets no attempts bound: not applicable."""
    llm = calibration["report"]["llm"]
    window = llm["windows"][0]["sli"]
    assert window["exercised"] is True
    assert TTFT_S <= window["ttft"]["p50"] <= TTFT_S * 1.05, window
    assert 0 <= llm["sli"]["itl"]["p50"] <= llm["sli"]["itl"]["p95"] <= llm["sli"]["itl_max_s"]
    assert llm["sli"]["tokens"] >= llm["sli"]["answered"] > 0
    assert llm["sli"]["tokens_per_s_p50"] > 0
    assert llm["sli"]["completion_rate"] >= 0.9
    attempts = [c for c in llm["checks"] if c["name"] == "max_attempts_per_request"]
    assert [(c["window"], c["state"]) for c in attempts] == [
        (None, "not_applicable"),
        (calibration["report"]["windows"][0]["id"], "not_applicable"),
    ]
    assert "LLM stream SLIs" in (calibration["run"] / "report.md").read_text()


def test_burn_rate_check_passes_the_baseline_and_fails_the_outage(
    baseline: tuple[int, Path, str], outage: tuple[int, Path, str]
) -> None:
    """V1's run-scaled burn-rate alert (14.4x its 5 % budget over run/12 and run/144): quiet
    on the baseline, fired by the outage (every request in the window fails)."""
    quiet = next(c for c in _report(baseline[1])["llm"]["checks"] if c["name"] == "burn_rate")
    fired = _report(outage[1])["llm"]
    check = next(c for c in fired["checks"] if c["name"] == "burn_rate")
    assert quiet["state"] == "pass", quiet
    assert check["state"] == "fail", check
    assert fired["burn"]["first_alarm_s"] is not None
    assert fired["burn"]["peak"] > 14.4
