"""The generated SLO rules under promtool: each phase's 30-day fast burn-rate alert fires
at its own threshold (5 % errors page on V3's 99.9 %, not on V1's 95 %) and on sustained
total failure; the run-scaled alert of a 5-minute run fires on an error burst, both as the
local backend writes it (1 s scrapes) and as committed for compose (5 s), but not when the
same burst comes with fewer requests than its floor. A real Prometheus loads them all and
takes a run file rewritten for the actual run length on reload."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.phases import get_phase
from lab.stack.parts import StackPrometheus
from lab.stack.rules import GENERATED_DIR, rule_files_for, write_run_burn_rules
from tests.fixtures.servers import start_or_skip

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not on PATH (package: prometheus)"
)

_OK = 'chat_http_requests_total{route="/v1/chat", method="POST", status="200"}'
_FAILED = 'chat_http_requests_total{route="/v1/chat", method="POST", status="503"}'
_SERIES = [
    {"series": _OK, "values": "0+142.5x60"},
    {"series": _FAILED, "values": "0+7.5x60"},
]


def _promtool_test(
    tmp_path: Path,
    rule_files: list[Path],
    series: list[dict[str, str]],
    cases: list[dict[str, Any]],
    *,
    interval: str = "15s",
) -> str:
    """promtool's complaints about ``cases`` ("" when every case holds)."""
    assert PROMTOOL is not None
    spec = {
        "rule_files": [str(GENERATED_DIR / "recording.yml"), *map(str, rule_files)],
        "evaluation_interval": interval,
        "tests": [{"interval": interval, "input_series": series, "alert_rule_test": cases}],
    }
    path = tmp_path / "test.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    done = subprocess.run(
        [PROMTOOL, "test", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout + done.stderr if done.returncode else ""


def _expected(rule_file: Path, alert: str) -> list[dict[str, object]]:
    """The alert as promtool reports it firing: the file's labels and annotations."""
    rules = yaml.safe_load(rule_file.read_text())["groups"][0]["rules"]
    rule = next(r for r in rules if r.get("alert") == alert)
    return [{"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}]


def _burst(*, interval_s: int, ok_per_s: float, failed_per_s: float) -> list[dict[str, str]]:
    """Five minutes of ``ok_per_s`` good requests; from 120 s on, ``failed_per_s`` 503s."""
    samples = range(0, 301, interval_s)
    ok = [ok_per_s * t for t in samples]
    failed = [failed_per_s * max(0, t - 120) for t in samples]
    return [
        {"series": _OK, "values": " ".join(f"{v:g}" for v in ok)},
        {"series": _FAILED, "values": " ".join(f"{v:g}" for v in failed)},
    ]


def test_five_percent_errors_page_on_v3(tmp_path: Path) -> None:
    """5 % of chats failing is > 14.4 x 0.1 %: V3's fast burn alert fires."""
    slo = GENERATED_DIR / "slo-v3.yml"
    cases = [{"eval_time": "10m", "alertname": "ChatSLOBurnRateFast",
              "exp_alerts": _expected(slo, "ChatSLOBurnRateFast")}]  # fmt: skip
    assert _promtool_test(tmp_path, [slo], _SERIES, cases) == ""


def test_five_percent_errors_do_not_page_on_v1(tmp_path: Path) -> None:
    """5 % is within V1's 95 % objective (fast burn threshold 72 %): no alert."""
    cases = [{"eval_time": "10m", "alertname": "ChatSLOBurnRateFast", "exp_alerts": []}]
    assert _promtool_test(tmp_path, [GENERATED_DIR / "slo-v1.yml"], _SERIES, cases) == ""


def test_30_day_page_rule_fires_on_sustained_total_failure(tmp_path: Path) -> None:
    """Every request failing for 70 minutes (both windows full): V3's 30-day page fires."""
    slo = GENERATED_DIR / "slo-v3.yml"
    series = [{"series": _FAILED, "values": "0+600x80"}]
    cases = [
        {"eval_time": "70m", "alertname": "ChatSLOBurnRateFast",
         "exp_alerts": _expected(slo, "ChatSLOBurnRateFast")},
    ]  # fmt: skip
    assert _promtool_test(tmp_path, [slo], series, cases, interval="1m") == ""


def _run_file(tmp_path: Path, scrape_s: int) -> Path:
    if scrape_s == 5:
        return GENERATED_DIR / "slo-v3-run5m.yml"  # the committed copy compose loads
    return write_run_burn_rules(get_phase("v3"), tmp_path, duration_s=300, scrape_s=scrape_s)


@pytest.mark.parametrize("scrape_s", [1, 5])
def test_run_scaled_burn_fires_on_a_burst_in_a_5_minute_run(tmp_path: Path, scrape_s: int) -> None:
    """V3, 10 good requests/s and from 120 s on 5 failed/s (a third): ChatSLOBurnRateRun
    pages 40 s into the burst, and not before it."""
    run_file = _run_file(tmp_path, scrape_s)
    series = _burst(interval_s=scrape_s, ok_per_s=10, failed_per_s=5)
    cases: list[dict[str, Any]] = [
        {"eval_time": "110s", "alertname": "ChatSLOBurnRateRun", "exp_alerts": []},
        {"eval_time": "160s", "alertname": "ChatSLOBurnRateRun",
         "exp_alerts": _expected(run_file, "ChatSLOBurnRateRun")},
    ]  # fmt: skip
    assert _promtool_test(tmp_path, [run_file], series, cases, interval=f"{scrape_s}s") == ""


@pytest.mark.parametrize("scrape_s", [1, 5])
def test_run_scaled_burn_stays_quiet_under_the_request_floor(tmp_path: Path, scrape_s: int) -> None:
    """The same third of requests failing at 1.5 requests/s (about 37 in 25 s, under V3's
    floor of 70): no page."""
    run_file = _run_file(tmp_path, scrape_s)
    series = _burst(interval_s=scrape_s, ok_per_s=1, failed_per_s=0.5)
    cases = [{"eval_time": "160s", "alertname": "ChatSLOBurnRateRun", "exp_alerts": []}]
    assert _promtool_test(tmp_path, [run_file], series, cases, interval=f"{scrape_s}s") == ""


def _rules_api(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v1/rules", timeout=5) as response:
        groups = json.load(response)["data"]["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _run_alert_within(url: str, run_duration: str, seconds: float) -> dict[str, Any]:
    """The loaded ChatSLOBurnRateRun once it says ``run_duration`` and every rule has been
    evaluated (or what is loaded after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        rules = _rules_api(url)
        alert = next((r for r in rules if r["name"] == "ChatSLOBurnRateRun"), {})
        evaluated = all(str(r.get("lastEvaluation", "0001")).startswith("2") for r in rules)
        done = alert.get("annotations", {}).get("run_duration") == run_duration and evaluated
        if done or time.monotonic() > deadline:
            return {"alert": alert, "rules": rules}
        time.sleep(0.3)


def test_prometheus_loads_the_rules_and_a_rewritten_run_file_on_reload(tmp_path: Path) -> None:
    """A real Prometheus loads the local backend's rule files (the 5-minute run file
    first) and evaluates every rule without error; after write_run_burn_rules for a
    15-minute run and a reload it runs the 75s/7s run alert instead."""
    phase = get_phase("v3")
    server = StackPrometheus(components=list, workdir=tmp_path / "prometheus")
    server.rule_files = [str(p) for p in rule_files_for(phase, tmp_path / "rules")]
    start_or_skip(server)
    try:
        first = _run_alert_within(server.url, "5m", 30)
        assert "chat:error_ratio:rate25s" in first["alert"]["query"]
        assert {r["name"] for r in first["rules"]} >= {
            "ChatSLOBurnRateFast",
            "chat:error_ratio:rate3d",
        }
        assert {r["name"]: r.get("lastError") for r in first["rules"] if r["health"] != "ok"} == {}
        write_run_burn_rules(phase, tmp_path / "rules", duration_s=900, scrape_s=1.0)
        server.reload()
        second = _run_alert_within(server.url, "15m", 30)
        assert "chat:error_ratio:rate75s" in second["alert"]["query"]
        assert "chat:error_ratio:rate7s" in second["alert"]["query"]
    finally:
        server.stop()
