"""`chaoslab run` end to end: a short provider outage on V1 and on V3, each on a stack the
run brings up and takes down. From the raw data alone (events.jsonl + requests.jsonl), V1's
availability inside the outage window is far below V3's: the difference the phases promise."""

from __future__ import annotations

import pytest

from lab.stack.processes import alive
from rundir import read_stack
from tests.e2e.conftest import Finished

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def v1(outage_v1: Finished) -> Finished:
    return outage_v1


@pytest.fixture
def v3(outage_v3: Finished) -> Finished:
    return outage_v3


def test_both_runs_finish_cleanly(v1: Finished, v3: Finished) -> None:
    """Both runs exit with their report's code (V1 breaches: 1) without a traceback and
    leave a report beside the raw data."""
    for run in (v1, v3):
        assert run.code == run.report["exit_code"], run.output[-3000:]
        assert "Traceback" not in run.output
        assert (run.run_dir / "report.md").is_file()
    assert v1.code == 1


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
