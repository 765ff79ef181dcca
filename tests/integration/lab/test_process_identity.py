"""Processes are known by pid AND start time: a recorded pid that now belongs to another
process is never signalled by `down`, and `status` calls it down."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from chaoslab.cli import main
from lab.proc import alive, is_ours, start_time, state
from rundir import Component, ProcessControl, Stack, Targets, write_stack


@pytest.fixture
def foreign() -> Iterator[subprocess.Popen[bytes]]:
    """A process the lab did not start (its own session, like a stranger's)."""
    process = subprocess.Popen(["sleep", "120"], start_new_session=True)
    yield process
    process.kill()
    process.wait(5)


def _stack_dir(tmp_path: Path, pid: int, start: int | None, *, supervisor: bool = True) -> Path:
    control = ProcessControl(pid=pid, pgid=pid, start=start)
    parts = [Component(name="redis", kind="redis", control=control)]
    if supervisor:
        parts.insert(0, Component(name="supervisor", kind="supervisor", control=control))
    stack = Stack(
        phase="v1",
        front_door="http://127.0.0.1:9",
        api_key="",
        targets=Targets(availability=0.95, latency_p95_s=5.0, ttft_p95_s=2.0),
        components=tuple(parts),
    )
    write_stack(tmp_path / "stack", stack)
    return tmp_path / "stack"


def test_start_time_tells_a_reused_pid_from_the_recorded_process(
    foreign: subprocess.Popen[bytes],
) -> None:
    """The same pid with another start time is "gone"; with its own, it is alive."""
    start = start_time(foreign.pid)
    assert start is not None
    assert is_ours(foreign.pid, start)
    assert not is_ours(foreign.pid, start - 1)
    assert state(foreign.pid, start - 1) == "gone"
    assert not is_ours(foreign.pid, None)  # nothing recorded: nothing proven
    assert alive(foreign.pid)


def test_down_leaves_a_process_that_reused_a_recorded_pid_alive(
    tmp_path: Path, foreign: subprocess.Popen[bytes]
) -> None:
    """stack.json names the sleep's pid with the start time of the process that had it
    before: `down` stops nothing, and `status` shows the component down."""
    start = start_time(foreign.pid)
    assert start is not None
    where = _stack_dir(tmp_path, foreign.pid, start - 1)

    status = CliRunner().invoke(main, ["status", "--stack", str(where), "--json"])
    rows = {row["name"]: row["state"] for row in json.loads(status.output)}
    assert rows == {"supervisor": "down", "redis": "down"}

    result = CliRunner().invoke(main, ["down", "--stack", str(where)])
    assert result.exit_code == 0, result.output
    assert foreign.poll() is None  # still running
    assert state(foreign.pid) == "running"


def test_down_stops_the_recorded_process_itself(
    tmp_path: Path, foreign: subprocess.Popen[bytes]
) -> None:
    """The same stack.json with the sleep's own start time: `down` stops it (the check
    above is the start time, not a `down` that signals nothing)."""
    where = _stack_dir(tmp_path, foreign.pid, start_time(foreign.pid), supervisor=False)
    result = CliRunner().invoke(main, ["down", "--stack", str(where)])
    assert result.exit_code == 0, result.output
    assert foreign.wait(15) is not None
