"""Progress steps between the supervisor and the `up` that waits for it."""

from __future__ import annotations

from pathlib import Path

from lab.stack.progress import Step, StepWriter, read_steps
from rundir.layout import PROGRESS_FILE


def test_steps_written_are_read_back_in_order_with_a_time(tmp_path: Path) -> None:
    """The writer stamps each step; the reader returns them in order."""
    seen: list[Step] = []
    writer = StepWriter(tmp_path, forward=seen.append)
    writer(Step(name="redis", state="starting"))
    writer(Step(name="redis", state="ready", detail="redis://127.0.0.1:1/0"))
    steps, offset = read_steps(tmp_path)
    assert [(s.name, s.state) for s in steps] == [("redis", "starting"), ("redis", "ready")]
    assert all(s.t > 0 for s in steps)
    assert seen == steps
    assert read_steps(tmp_path, offset=offset) == ([], offset)


def test_a_half_written_line_waits_for_its_end(tmp_path: Path) -> None:
    """A line without its newline yet is not read (nor lost): the next read gets it."""
    path = tmp_path / PROGRESS_FILE
    path.write_bytes(b'{"name":"a","state":"ready"}\n{"name":"b","sta')
    steps, offset = read_steps(tmp_path)
    assert [s.name for s in steps] == ["a"]
    with path.open("ab") as out:
        out.write(b'te":"starting"}\n')
    steps, _ = read_steps(tmp_path, offset=offset)
    assert [s.name for s in steps] == ["b"]


def test_no_file_yet_is_no_step(tmp_path: Path) -> None:
    """Before the supervisor wrote anything, there is nothing to read."""
    assert read_steps(tmp_path) == ([], 0)
