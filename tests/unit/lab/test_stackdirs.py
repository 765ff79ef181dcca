"""Where stacks live: .chaoslab/runs/<time>-<phase>, with .chaoslab/current at the last."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.stack import StackError
from lab.stack.stackdirs import current_run_dir, new_run_dir


def test_a_new_run_dir_becomes_current(tmp_path: Path) -> None:
    """Each new run dir is fresh, named by time and phase, and current follows the last."""
    first = new_run_dir("v1", root=tmp_path)
    second = new_run_dir("v3", root=tmp_path)
    assert first != second
    assert second.name.endswith("-v3")
    assert first.is_dir()
    assert current_run_dir(root=tmp_path) == second.resolve()


def test_no_current_stack_names_the_fix(tmp_path: Path) -> None:
    """Without .chaoslab/current the error says to run `chaoslab up` or pass --run-dir."""
    with pytest.raises(StackError, match=r"start one with `chaoslab up` or pass --run-dir"):
        current_run_dir(root=tmp_path)


def test_an_explicit_run_dir_must_exist(tmp_path: Path) -> None:
    """--run-dir pointing nowhere is one line naming it."""
    with pytest.raises(StackError, match="no such run directory"):
        current_run_dir(tmp_path / "missing")
    assert current_run_dir(tmp_path) == tmp_path
