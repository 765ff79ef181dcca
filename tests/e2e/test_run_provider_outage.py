"""`chaoslab run` end to end: a short provider outage on V1 and on V3, each on a stack the
run brings up and takes down. From the raw data alone (events.jsonl + requests.jsonl), V1's
availability inside the outage window is far below V3's: the difference the phases promise."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.rundir import read_events, read_requests, read_stack
from lab.stack.processes import alive
from tests.fixtures.servers import skip_unless_required

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(900)


@dataclass
class Finished:
    run_dir: Path
    code: int
    output: str

    def window_availability(self) -> tuple[float, int]:
        """Good / valid among requests sent inside the outage window."""
        events = read_events(self.run_dir)
        start = next(e.t for e in events if e.kind == "fault_start")
        end = next(e.t for e in events if e.kind == "fault_end")
        inside = [r for r in read_requests(self.run_dir) if start <= r.t < end]
        valid = [r for r in inside if r.outcome != "excluded"]
        good = sum(r.outcome == "good" for r in valid)
        return (good / len(valid) if valid else 0.0), len(valid)


def _run(phase: str, workdir: Path) -> Iterator[Finished]:
    out = workdir / f"run-{phase}"
    command = [sys.executable, "-m", "lab", "run", "--phase", phase, "--scenario",
               "provider-outage", "--duration", "20s", "--seed", "7", "--fresh", "--out",
               str(out)]  # fmt: skip
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=400,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    output = done.stdout + done.stderr
    if done.returncode == 2 and "not found on PATH" in output:
        skip_unless_required(output.split("chaoslab run: ")[-1].split()[0], output.strip())
    yield Finished(out, done.returncode, output)


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Finished]:
    yield from _run("v1", tmp_path_factory.mktemp("e2e-v1"))


@pytest.fixture(scope="module")
def v3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Finished]:
    yield from _run("v3", tmp_path_factory.mktemp("e2e-v3"))


def test_both_runs_finish_cleanly(v1: Finished, v3: Finished) -> None:
    """Both runs exit 0 without a traceback and leave a report beside the raw data."""
    for run in (v1, v3):
        assert run.code == 0, run.output[-3000:]
        assert "Traceback" not in run.output
        assert (run.run_dir / "report.md").is_file()


def test_v1_availability_in_the_outage_is_far_below_v3s(v1: Finished, v3: Finished) -> None:
    """Inside the outage window V1 (one provider) mostly fails; V3 (three, breakers,
    failover) rides it out."""
    v1_availability, v1_requests = v1.window_availability()
    v3_availability, v3_requests = v3.window_availability()
    assert v1_requests >= 20
    assert v3_requests >= 20
    assert v1_availability < 0.5, v1_availability
    assert v3_availability > 0.95, v3_availability
    assert v3_availability - v1_availability > 0.45


def test_the_stack_a_run_brought_up_is_down_after(v1: Finished) -> None:
    """--fresh: the run takes down the stack it brought up (no process left)."""
    stack = read_stack(v1.run_dir)
    assert not alive(stack.supervisor_pid)
    pids = [c.control.pid for c in stack.components if hasattr(c.control, "pid")]
    assert pids
    assert not any(alive(pid) for pid in pids)
