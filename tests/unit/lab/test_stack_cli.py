"""chaoslab up/status/down/phases: bad input is one line and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoslab.cli import main


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_a_missing_binary_is_one_line_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without redis-server on PATH, `up` names it and doctor's install hint, exit 2."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, output = _run("up", "--phase", "v1", "--stack", str(tmp_path / "stack"))
    assert code == 2
    last = output.strip().splitlines()[-1]
    assert last.startswith("chaoslab up: redis-server not found on PATH: install it with")
    assert "apt-get install -y redis-server" in last
    assert "Traceback" not in output


def test_an_unknown_phase_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """--phase v9 lists the phases the file has."""
    code, output = _run("up", "--phase", "v9", "--run-dir", str(tmp_path))
    assert code == 2
    assert output.strip() == "chaoslab up: unknown phase 'v9': choose one of v1, v2, v3, v4"


def test_status_without_a_stack_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """status in a directory with no .chaoslab/current: one line, exit 2."""
    monkeypatch.chdir(tmp_path)
    code, output = _run("status")
    assert code == 2
    assert "start one with `chaoslab up`" in output
    assert len(output.strip().splitlines()) == 1


def test_down_without_a_stack_is_a_no_op(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """down is idempotent: nothing to stop is exit 0."""
    monkeypatch.chdir(tmp_path)
    code, output = _run("down")
    assert code == 0
    assert "nothing to stop" in output


def test_phases_prints_every_phase() -> None:
    """`chaoslab phases` shows v1..v4 with their availability targets."""
    code, output = _run("phases")
    assert code == 0
    for text in ("v1", "v4", "99.99 %", "95 %", "v3 flags: retry_enabled=true"):
        assert text in output


def test_phases_json_is_the_phase_file_as_data() -> None:
    """--json gives every phase with its computed users."""
    import json

    code, output = _run("phases", "--json")
    assert code == 0
    data = json.loads(output)
    assert data["v3"]["replicas"] == 3
    assert data["v1"]["load"]["users"] == 10


@pytest.mark.parametrize("command", ["up", "status", "down", "run", "scenarios"])
def test_stack_commands_show_stack_and_hide_the_old_run_dir_name(command: str) -> None:
    """Every command that means a stack lists `--stack DIR` in --help, never `--run-dir`."""
    code, output = _run(command, "--help")
    assert code == 0
    assert "--stack DIR" in output
    assert "--run-dir" not in output


def test_run_dir_still_works_as_a_hidden_alias_of_stack(tmp_path: Path) -> None:
    """`status --run-dir DIR` means `status --stack DIR` (the old name is kept for scripts)."""
    missing = tmp_path / "nowhere"
    old = _run("status", "--run-dir", str(missing))
    new = _run("status", "--stack", str(missing))
    assert old == new
    assert new[0] == 2
    assert f"{missing}: no such stack directory; check --stack" in new[1]
