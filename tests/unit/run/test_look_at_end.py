"""An auto run's first look at its planned end, on a run directory's real files: going on
writes the ``look`` event and moves the load's stop to the new end, which the load's own
stop rule then follows; a clean or hopeless first look writes nothing and ends the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaoslab.run.experiment import TAIL_S, look_at_end
from chaoslab.run.locust import write_stop
from chaoslab.run.plan import DEFAULT_RATE, LoadPlan, make_plan
from loadtests.client import LabClient
from reports.rundata import load_run
from rundir import read_events
from rundir.events import Look, detail
from rundir.layout import LOAD_DIR, STOP_FILE
from tests.unit.reports.builder import RunBuilder

START = 1_800_000_000.0


def _plan() -> LoadPlan:
    return make_plan(phase="v3", target=0.999, scenario_duration=90.0, duration=None,
                     auto=True, rate=DEFAULT_RATE, users=None, rate_is_default=True)  # fmt: skip


def _stops_at(run_dir: Path, now: float, monkeypatch: pytest.MonkeyPatch) -> bool:
    """The load's own rule (``LabClient.stop_due``) reading this run's stop file."""
    monkeypatch.setattr(LabClient, "stop_file", run_dir / LOAD_DIR / STOP_FILE)
    monkeypatch.setattr(LabClient, "_stop_read", 0.0)
    monkeypatch.setattr(LabClient, "_stop_at", None)
    return LabClient.stop_due(now)


def test_an_inconclusive_first_look_goes_on_and_moves_the_loads_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan()
    run_dir = RunBuilder(tmp_path, duration=plan.duration_s).requests(rate=1).write()
    write_stop(run_dir, START + plan.duration_s + TAIL_S + 30.0)  # as the runner starts it
    look = look_at_end(plan, run_dir, requests=4_084, failures=5, elapsed_s=plan.duration_s,
                       start=START)  # fmt: skip
    assert look.duration_s == pytest.approx(plan.longest_s)
    written = [detail(e, Look) for e in read_events(run_dir) if e.kind == "look"]
    assert written == [Look(requests=4_084, failures=5, went_on_at_most=7,
                            duration_s=round(plan.longest_s, 3))]  # fmt: skip
    assert load_run(run_dir).look == written[0]  # the report reads it back
    assert not _stops_at(run_dir, START + plan.duration_s + 60.0, monkeypatch)
    assert _stops_at(run_dir, START + plan.longest_s + TAIL_S, monkeypatch)


@pytest.mark.parametrize("failures", [0, 8])
def test_a_clean_or_hopeless_first_look_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: int
) -> None:
    plan = _plan()
    run_dir = RunBuilder(tmp_path, duration=plan.duration_s).requests(rate=1).write()
    write_stop(run_dir, START + plan.duration_s + TAIL_S)
    look = look_at_end(plan, run_dir, requests=4_084, failures=failures,
                       elapsed_s=plan.duration_s, start=START)  # fmt: skip
    assert look.duration_s is None
    assert [e for e in read_events(run_dir) if e.kind == "look"] == []
    assert _stops_at(run_dir, START + plan.duration_s + TAIL_S, monkeypatch)
