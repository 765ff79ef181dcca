"""Where stacks live: .chaoslab/stacks/<time>-<phase>, with .chaoslab/current at the last."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.stack import StackError
from lab.stack.stackdirs import current_stack_dir, new_stack_dir


def test_a_new_stack_dir_becomes_current(tmp_path: Path) -> None:
    """Each new stack directory is fresh, under .chaoslab/stacks, named by time and phase,
    and current follows the last."""
    first = new_stack_dir("v1", root=tmp_path)
    second = new_stack_dir("v3", root=tmp_path)
    assert first != second
    assert first.parent == tmp_path / ".chaoslab" / "stacks"
    assert first.name.endswith("-v1")
    assert second.name.endswith("-v3")
    assert current_stack_dir(root=tmp_path) == second.resolve()


def test_no_stack_names_the_fix(tmp_path: Path) -> None:
    """Without .chaoslab/current the error says to run `chaoslab up` or pass --stack."""
    with pytest.raises(StackError, match=r"start one with `chaoslab up` or pass --stack"):
        current_stack_dir(root=tmp_path)


def test_an_explicit_dir_must_exist(tmp_path: Path) -> None:
    """--stack pointing nowhere is one line naming it."""
    with pytest.raises(StackError, match="no such stack directory"):
        current_stack_dir(tmp_path / "missing")
    assert current_stack_dir(tmp_path) == tmp_path


def test_two_stacks_of_one_phase_get_distinct_directories(tmp_path: Path) -> None:
    """Two stacks of the same phase made at once never share a directory (a -2 suffix
    when the second is the same)."""
    made = [new_stack_dir("v2", root=tmp_path) for _ in range(3)]
    assert len(set(made)) == 3
    assert all(path.is_dir() for path in made)
