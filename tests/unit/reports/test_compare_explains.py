"""The phase comparison explains itself: target beside value, the deciding number, units
from stack.json, cost, links; phases lacking a role skipped with one line each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from chaoslab.cli import main
from lab.phases import get_phase
from reports.compare import compare_runs, comparison, render_compare_html
from reports.cost import load_prices
from tests.fixtures.phase_stacks import phase_stack
from tests.unit.reports.builder import RunBuilder

ROOT = Path(__file__).resolve().parents[3]
PRICES = load_prices(ROOT / "lab" / "prices.toml")


def _run(
    root: Path,
    phase: str,
    *,
    ttft: float = 0.3,
    scenario: str = "provider-outage",
    fails: bool = False,
) -> Path:
    builder = RunBuilder(root, phase=phase, targets=get_phase(phase).sla(), duration=120)
    builder.components = phase_stack(phase).components
    builder.info["scenario"] = scenario
    builder.requests(
        rate=10,
        stream_every=2,
        ttft=ttft,
        fails=(lambda t: 40 <= t < 60) if fails else (lambda t: False),
    )
    builder.fault(40, 70)
    path = builder.write()
    shutil.copyfile(ROOT / "scenarios" / f"{scenario}.toml", path / "scenario.toml")
    return path


V2_TTFT = get_phase("v2").sla().ttft_p95_s
SLOW = round(V2_TTFT + 0.52, 2)
"""A TTFT p95 over V2's target (the issue's run: 2.02 s against 1.5 s)."""


def test_v2_s_breach_names_its_ttft_beside_the_target(tmp_path: Path) -> None:
    """V2 at 100 % but TTFT p95 over its target: breached, the why names both numbers."""
    (row,) = compare_runs([_run(tmp_path / "v2", "v2", ttft=SLOW)], prices=PRICES)
    assert row.status == "breached"
    assert row.availability == 1.0
    assert row.targets["ttft_p95_s"] == V2_TTFT
    assert f"TTFT p95 {SLOW:.2f} s > target ≤ {V2_TTFT:.2f} s" in row.why
    ttft = next(v for v in row.verdicts if v.name == "ttft_p95")
    assert (ttft.value, ttft.target, ttft.verdict) == (SLOW, V2_TTFT, "fail")


def test_units_come_from_stack_json_v4_has_four_replicas(tmp_path: Path) -> None:
    """V4's row: 4 replicas, 4 providers, 2 regions, 9 servers, and it costs more than V3."""
    v3, v4 = compare_runs([_run(tmp_path / "v3", "v3"), _run(tmp_path / "v4", "v4")], prices=PRICES)
    assert (v4.replicas, v4.providers, v4.regions, v4.servers) == (4, 4, 2, 9)
    assert v3.replicas == 3
    assert v4.monthly_cost is not None
    assert v3.monthly_cost is not None
    assert v4.monthly_cost > v3.monthly_cost


def test_fault_window_numbers_and_the_break_even(tmp_path: Path) -> None:
    """V1 fails in the window, V2 does not: the window's availability and V2's break-even."""
    v1, v2 = compare_runs(
        [_run(tmp_path / "v1", "v1", fails=True), _run(tmp_path / "v2", "v2")], prices=PRICES
    )
    assert v1.fault_availability is not None
    assert v1.fault_availability < 0.5
    assert v2.fault_availability == 1.0
    assert v2.fault_p95_s is not None
    assert v2.goodput_rps is not None
    assert v2.pays_off_above_per_hour is not None
    assert v2.pays_off_above_per_hour > 0


def test_the_page_has_hypothesis_links_why_and_target_lines(tmp_path: Path) -> None:
    """The HTML opens with the hypothesis, links each run's report, and dashes targets."""
    rows = compare_runs([_run(tmp_path / "v2", "v2", ttft=SLOW)], prices=PRICES)
    page = render_compare_html(comparison(rows, title="t", prices=PRICES))
    assert "hypothesis: " in page
    assert "teaches: " in page
    assert f'href="{tmp_path / "v2" / "report.html"}"' in page
    assert f"{SLOW:.2f} s (≤ {V2_TTFT:.2f} s)" in page
    assert "stroke-dasharray" in page


def test_cli_json_shows_the_target_beside_the_value_and_v4_s_replicas(tmp_path: Path) -> None:
    """compare JSON over V2 and V4 runs: V2's TTFT target and why, V4's 4 replicas."""
    lab = tmp_path / ".chaoslab"
    _run(lab / "runs" / "a-v2", "v2", ttft=SLOW)
    _run(lab / "runs" / "b-v4", "v4")
    result = CliRunner().invoke(
        main,
        [
            "compare",
            "--scenario",
            "provider-outage",
            "--phase",
            "v2,v4",
            "--lab-dir",
            str(lab),
            "--out",
            str(tmp_path / "cmp"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    v2, v4 = data["rows"]
    assert v2["targets"]["ttft_p95_s"] == V2_TTFT
    assert f"TTFT p95 {SLOW:.2f} s" in v2["why"]
    assert v4["replicas"] == 4
    assert data["hypothesis"]
    assert f"why V2 breached: TTFT p95 {SLOW:.2f} s" in result.stdout


def test_region_failover_skips_the_phases_without_a_region_one_line_each(tmp_path: Path) -> None:
    """Over v1..v4, V1-V3 lack region a: one "skipped" line each, V4's run is compared."""
    lab = tmp_path / ".chaoslab"
    _run(lab / "runs" / "a-v4", "v4", scenario="region-failover")
    result = CliRunner().invoke(
        main,
        [
            "compare",
            "--scenario",
            "region-failover",
            "--lab-dir",
            str(lab),
            "--out",
            str(tmp_path / "cmp"),
        ],
    )
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stdout.splitlines() if line.startswith("skipped ")]
    assert [line.split(":")[0] for line in skipped] == ["skipped V1", "skipped V2", "skipped V3"]
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert [r["phase"] for r in data["rows"]] == ["v4"]
    assert len(data["skipped"]) == 3


def _tail_run(root: Path, tail_s: float, *, duration: int = 120) -> Path:
    """V4 provider-tail: streams (10 a second) answer their first token in 0.3 s, but every
    25th stream (4 %) waits ``tail_s``."""
    import msgspec

    builder = RunBuilder(root, phase="v4", targets=get_phase("v4").sla(), duration=duration)
    builder.components = phase_stack("v4").components
    builder.info["scenario"] = "provider-tail"
    builder.requests(rate=10, stream_every=1, ttft=0.3)
    builder.records = [
        msgspec.structs.replace(r, ttft_s=tail_s) if i % 25 == 0 else r
        for i, r in enumerate(builder.records)
    ]
    builder.fault(20, duration - 10)
    path = builder.write()
    shutil.copyfile(ROOT / "scenarios" / "provider-tail.toml", path / "scenario.toml")
    return path


def test_compare_judges_the_ttft_p99_the_tail_hedging_cuts(tmp_path: Path) -> None:
    """`compare OFF ON` on provider-tail: the TTFT p99 (8 s without hedging, 2.5 s with) is
    named improved beyond both intervals, while the TTFT p95 (the primary's own) is not."""
    from reports.compare import judge

    off, on = compare_runs([_tail_run(tmp_path / "off", 8.0), _tail_run(tmp_path / "on", 2.5)])
    assert (off.ttft_p99_s, on.ttft_p99_s) == (8.0, 2.5)
    changes = {c.metric: c for c in judge(off, on)}
    assert changes["TTFT p99"].verdict == "improved"
    assert changes["TTFT p99"].before.startswith("8.00 s [")
    assert changes["TTFT p95"].verdict == "unchanged"
    runner = CliRunner()
    done = runner.invoke(main, ["compare", str(off.run_dir), str(on.run_dir), "--out",
                                str(tmp_path / "cmp")])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "TTFT p99: improved (8.00 s [" in done.output, done.output
    page = (tmp_path / "cmp" / "compare.html").read_text()
    assert '<tr class="improved"><td>TTFT p99</td><td>improved</td><td>8.00 s [' in page
    assert "| TTFT p99 | improved | 8.00 s [" in (tmp_path / "cmp" / "compare.md").read_text()


def test_a_tail_quantile_without_its_high_bound_is_still_judged_beyond_it(tmp_path: Path) -> None:
    """A 45 s run's 450 streams place the TTFT p99's low bound but not its high one (too few
    samples above it). Against a 120 s run whose p99 interval lies wholly below that low
    bound, compare still says improved (only the facing bounds decide a separation), shows the
    missing bound as a dash, and says "not comparable" only when the facing bound is missing."""
    from reports.compare import judge

    short, long = compare_runs(
        [_tail_run(tmp_path / "short", 8.0, duration=45), _tail_run(tmp_path / "long", 2.5)]
    )
    assert short.ttft_p99_interval is not None
    assert short.ttft_p99_interval.low is not None
    assert short.ttft_p99_interval.high is None
    change = next(c for c in judge(short, long) if c.metric == "TTFT p99")
    assert change.verdict == "improved"
    assert change.before == "8.00 s [8.00 s, —]"
    backwards = next(c for c in judge(long, short) if c.metric == "TTFT p99")
    assert backwards.verdict == "regressed"
    same = next(c for c in judge(short, short) if c.metric == "TTFT p99")
    assert same.verdict == "not comparable"
