"""Typed event details: written from Structs, read back as Structs, old dict details too."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from rundir import CheckThresholds, Event, RunDirError, append_events, read_events
from rundir.events import Check, FaultStart, Overrides, RunEnd, RunStart, detail, event
from tests.fixtures.phase_stacks import phase_stack


def test_a_detail_written_is_the_detail_read(tmp_path: Path) -> None:
    """run_start's 24 fields go to events.jsonl and come back equal, kind set from the Struct."""
    start = RunStart(scenario="provider-outage", seed=7, command=["chaoslab", "run"],
                     overrides=Overrides(availability=0.95), runner_pid=42, runner_start=9,
                     versions={"locust": "2.0"}, timeline_zero=12.5)  # fmt: skip
    append_events(tmp_path, [event(start, t=1.0)])
    [read] = read_events(tmp_path)
    assert read.kind == "run_start"
    assert detail(read, RunStart) == start
    assert len(RunStart.__struct_fields__) == 24


def test_an_old_dict_detail_still_reads(tmp_path: Path) -> None:
    """A run directory from before the Structs (extra keys, a string command) reads."""
    old = {"scenario": "s", "command": "chaoslab run --phase v1", "seed": 3, "gone": [1]}
    append_events(tmp_path, [Event(t=1.0, kind="run_start", detail=old)])
    start = detail(read_events(tmp_path)[0], RunStart)
    assert (start.scenario, start.seed, start.command_line) == ("s", 3, "chaoslab run --phase v1")
    assert detail(Event(t=1.0, kind="run_end"), RunEnd).status == "ok"


def test_a_tampered_detail_is_one_line_naming_the_file() -> None:
    """An availability override of -3 is refused with a RunDirError, not judged."""
    bad = Event(t=1.0, kind="run_start", detail={"overrides": {"availability": -3}})
    with pytest.raises(RunDirError, match=r"events.jsonl: a run_start event's detail"):
        detail(bad, RunStart)


def test_a_detail_of_another_kind_is_refused() -> None:
    """Reading a fault_start as a Check is a programming error, said at once."""
    with pytest.raises(ValueError, match="a fault_start event has no Check detail"):
        detail(event(FaultStart(components=["fake-openai"])), Check)


def test_stack_checks_are_the_phase_thresholds_typed() -> None:
    """Stack.checks is the phase file's checks table as CheckThresholds (unset: None)."""
    stack = phase_stack("v3")
    assert isinstance(stack.checks, CheckThresholds)
    assert stack.checks.failover_s == 1.6
    v1 = msgspec.structs.replace(stack, phase_config={"checks": {"burn_rate": 14.4}})
    assert v1.checks == CheckThresholds(burn_rate=14.4)
    broken = msgspec.structs.replace(stack, phase_config={"checks": {"failover": 1}})
    with pytest.raises(RunDirError, match=r"phase_config\.checks"):
        _ = broken.checks
