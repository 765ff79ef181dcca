"""The Prometheus rules generated from the phase file: the SRE workbook's 30-day burn-rate
alerts, the run-scaled ones (windows, request floor) and the committed copies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lab.phases import get_phase, load_phases
from lab.stack.rules import (
    GENERATED_DIR,
    generated_files,
    min_requests,
    phase_alerts,
    recording_rules,
    rule_files_for,
    run_burn_rules,
    run_windows,
    write_run_burn_rules,
)

_SERIES = re.compile(r"chat:[a-z_]+:[a-z0-9_]+")
_PAIR = re.compile(
    r"chat:error_ratio:rate(\w+) > ([\d.e-]+) and chat:error_ratio:rate(\w+) > ([\d.e-]+)"
)


def _rules(document: dict[str, object]) -> dict[str, dict[str, object]]:
    group = document["groups"][0]  # type: ignore[index]
    return {rule.get("alert") or rule["record"]: rule for rule in group["rules"]}


def test_30_day_alerts_are_the_workbooks_windows_and_rates() -> None:
    """Page: 14.4 x budget over 1h and 5m or 6 x over 6h and 30m; ticket: 3 x over 1d and
    2h or 1 x over 3d and 6h; budget = 1 - the phase's availability."""
    for phase in load_phases().values():
        budget = 1 - phase.targets.availability
        rules = _rules(phase_alerts(phase))
        expected = {
            "ChatSLOBurnRateFast": [(14.4, "1h", "5m"), (6.0, "6h", "30m")],
            "ChatSLOBurnRateSlow": [(3.0, "1d", "2h"), (1.0, "3d", "6h")],
        }
        for name, pairs in expected.items():
            found = _PAIR.findall(str(rules[name]["expr"]))
            windows = [(long, short) for long, _, short, _ in found]
            assert windows == [(long, short) for _, long, short in pairs]
            for (_, t1, _, t2), (factor, _, _) in zip(found, pairs, strict=True):
                assert abs(float(t1) - factor * budget) < 1e-9
                assert t1 == t2


def test_30_day_alerts_are_labelled_with_scale_phase_and_severity() -> None:
    """The 30-day alerts carry scale=30d, their phase, page (fast) or ticket (slow)."""
    rules = _rules(phase_alerts(get_phase("v3")))
    assert rules["ChatSLOBurnRateFast"]["labels"] == {
        "severity": "page", "phase": "v3", "slo": "availability-99.9%", "scale": "30d",
    }  # fmt: skip
    assert rules["ChatSLOBurnRateSlow"]["labels"]["severity"] == "ticket"  # type: ignore[index]


@pytest.mark.parametrize(
    ("duration_s", "scrape_s", "windows"),
    [(300, 1.0, (25, 5)), (300, 5.0, (25, 25)), (3600, 1.0, (300, 25)), (60, 1.0, (5, 5))],
)
def test_run_windows_are_a_twelfth_and_a_144th_but_five_scrapes_at_least(
    duration_s: float, scrape_s: float, windows: tuple[int, int]
) -> None:
    """Long D/12, short D/144, in whole seconds, never under five scrape intervals."""
    assert run_windows(duration_s, scrape_s) == windows


@pytest.mark.parametrize(("availability", "needed"), [(0.95, 10), (0.99, 10), (0.999, 70),
                                                       (0.9999, 695)])  # fmt: skip
def test_request_floor_keeps_one_failure_below_the_threshold(
    availability: float, needed: int
) -> None:
    """n_min = max(10, floor(1 / (14.4 x budget)) + 1): one failure among n_min requests is
    under the threshold; among one request fewer (above the floor of 10) it is over."""
    threshold = 14.4 * (1 - availability)
    assert min_requests(availability) == needed
    assert 1 / needed <= threshold
    if needed > 10:
        assert 1 / (needed - 1) > threshold


def test_run_alert_needs_both_windows_and_the_request_floor() -> None:
    """V3, a 5-minute run at 1 s scrapes: 1.44 % over 25s and 5s with >= 70 requests in 25s,
    labelled scale=run, the run length in an annotation."""
    alert = _rules(run_burn_rules(get_phase("v3"), 300, 1.0))["ChatSLOBurnRateRun"]
    assert alert["expr"] == (
        "chat:error_ratio:rate25s > 0.0144 and chat:error_ratio:rate5s > 0.0144"
        " and chat:requests:rate25s * 25 >= 70"
    )
    assert alert["labels"]["scale"] == "run"  # type: ignore[index]
    assert alert["labels"]["severity"] == "page"  # type: ignore[index]
    assert alert["annotations"]["run_duration"] == "5m"  # type: ignore[index]


def test_every_chat_series_an_alert_reads_is_recorded() -> None:
    """Every chat:* series a 30-day or run alert reads is recorded in recording.yml or in
    the run file itself (whatever the run length)."""
    recorded = set(_rules(recording_rules()))
    for phase in load_phases().values():
        for duration_s in (60, 300, 1800, 3600):
            run = _rules(run_burn_rules(phase, duration_s, 1.0))
            documents = (*phase_alerts(phase)["groups"][0]["rules"], *run.values())
            for rule in documents:
                assert set(_SERIES.findall(str(rule["expr"]))) <= recorded | set(run)


def test_run_file_never_records_a_series_recording_yml_has() -> None:
    """A run whose window is a standard one (D = 1h: 5m) reuses recording.yml's series
    instead of recording it twice."""
    run = _rules(run_burn_rules(get_phase("v3"), 3600, 1.0))
    assert "chat:error_ratio:rate5m" not in run
    assert "chat:error_ratio:rate25s" in run
    assert not set(run) & set(_rules(recording_rules()))


def test_rule_files_for_writes_the_run_file_and_the_writer_replaces_it(tmp_path: Path) -> None:
    """The local backend's rule files include slo-<phase>-run.yml (5 minutes until the
    runner rewrites it for the actual run length)."""
    phase = get_phase("v2")
    files = rule_files_for(phase, tmp_path)
    run_file = tmp_path / "slo-v2-run.yml"
    assert files[-1] == run_file
    assert "run_duration: 5m" in run_file.read_text()
    assert write_run_burn_rules(phase, tmp_path, duration_s=900, scrape_s=1.0) == run_file
    rules = yaml.safe_load(run_file.read_text())["groups"][0]["rules"]
    alert = next(rule for rule in rules if rule.get("alert") == "ChatSLOBurnRateRun")
    assert alert["annotations"]["run_duration"] == "15m"
    assert "chat:error_ratio:rate75s" in alert["expr"]


def test_committed_generated_rules_match_the_phase_file() -> None:
    """observability/prometheus/generated/ is what `python -m lab.stack.rules` writes
    from lab/phases.toml (regenerate it after editing the phase file)."""
    expected = generated_files(load_phases())
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in GENERATED_DIR.glob("*.yml")}
    assert on_disk == expected
    assert {"slo-v1-run5m.yml", "slo-v4-run5m.yml"} <= set(on_disk)
