"""`chaoslab scenarios`: the list with hypotheses, and one-line errors with exit 2."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from chaoslab.cli import main


def test_lists_every_scenario_with_its_hypothesis() -> None:
    """The listing names each scenario and prints its hypothesis."""
    result = CliRunner().invoke(main, ["scenarios"])
    assert result.exit_code == 0
    assert "provider-outage" in result.output
    assert "hypothesis:" in result.output


def test_bad_file_exits_2_with_one_line(tmp_path: Path) -> None:
    """Validating a bad file prints one line naming file, line and key, and exits 2."""
    path = tmp_path / "x.toml"
    path.write_text('title = "t"\nhypothesis = "h"\nteaches = "x"\n[load]\nusers = "many"\n')
    result = CliRunner().invoke(main, ["scenarios", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "x.toml:5: load.users:" in lines[0]
