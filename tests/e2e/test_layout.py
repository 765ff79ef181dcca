"""Every file a real stack and a real run leave on disk is one `rundir.layout` names: the
layout is the whole contract, not a part of it (reuses the session's V3 outage run, whose
stack the run brought up under the work directory's .chaoslab/stacks/)."""

from __future__ import annotations

from pathlib import Path

from rundir.layout import LAB_DIR, RUN_LAYOUT, STACK_LAYOUT, STACKS_DIR, Entry, matches
from tests.e2e.conftest import Finished


def _unnamed(root: Path, layout: tuple[Entry, ...]) -> list[str]:
    files = [p.relative_to(root).as_posix() for p in sorted(root.rglob("*")) if p.is_file()]
    assert files, f"{root} is empty"
    return [name for name in files if matches(layout, name) is None]


def test_every_file_of_a_real_run_directory_is_in_the_layout(outage_v3: Finished) -> None:
    """The run directory of `chaoslab run` holds no file RUN_LAYOUT does not name."""
    assert outage_v3.code in (0, 1, 3), outage_v3.output[-3000:]
    assert _unnamed(outage_v3.run_dir, RUN_LAYOUT) == []


def test_every_file_of_a_real_stack_directory_is_in_the_layout(outage_v3: Finished) -> None:
    """The stack directory the run brought up (and took down) holds no file STACK_LAYOUT
    does not name."""
    stacks = sorted((outage_v3.run_dir.parent / LAB_DIR / STACKS_DIR).iterdir())
    assert len(stacks) == 1, stacks
    assert _unnamed(stacks[0], STACK_LAYOUT) == []
