"""`chaoslab run --gate` refuses a scenario that loosens the phase's targets before anything
starts (exit 2, one line), unless --allow-overrides."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from chaoslab.cli import main

LOOSE = """
title = "loose"
hypothesis = "h"
teaches = "t"
[steady_state]
availability = 0.5
[load]
duration = "10s"
"""


def test_gate_refuses_a_loosening_scenario_before_anything_starts(tmp_path: Path) -> None:
    """Exit 2 with one line naming the loosened target; no stack, no run directory."""
    scenario = tmp_path / "loose.toml"
    scenario.write_text(LOOSE)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["run", "--phase", "v1", "--scenario", str(scenario), "--gate", "--out", str(out),
         "--run-dir", str(tmp_path / "no-stack")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert "--gate refuses scenario 'loose'" in result.stderr
    assert "availability" in result.stderr
    assert "--allow-overrides" in result.stderr
    assert not out.exists()
    assert not (tmp_path / "no-stack").exists()
