"""Every shipped scenario, shortened, on a phase that has its roles: the run finishes and
each of its faults really took effect (the toxic listed by the proxy, the fake's fault
returned by its API, the process in state T...), as recorded by the injector's checks.

Long (about ten minutes): runs only with ``CHAOSLAB_E2E_ALL=1`` (``nox -s e2e`` sets it);
CI keeps to test_run_provider_outage.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaoslab.run.experiment import RunOptions, run_experiment
from rundir import Stack, read_events
from scenarios.loader import list_scenarios, load_scenario
from tests.e2e.stack import bring_up

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        os.environ.get("CHAOSLAB_E2E_ALL") != "1",
        reason="every scenario takes ~10 min: set CHAOSLAB_E2E_ALL=1 (nox -s e2e)",
    ),
]

PHASE_OF = {"region-failover": "v4"}
"""The phase each scenario runs on (default v3: replicas, providers, supervisor)."""
DURATION = 15.0


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Stack]]:
    """One stack per phase the sweep needs, brought up on first use."""
    running: dict[str, Stack] = {}
    holders: list[Iterator[Stack]] = []

    def get(phase: str) -> Stack:
        if phase not in running:
            holder = bring_up(phase, tmp_path_factory.mktemp(f"stack-{phase}"))
            holders.append(holder)
            running[phase] = next(holder)
        return running[phase]

    yield get
    for holder in holders:
        for _ in holder:  # runs bring_up's `down`
            pass


@pytest.mark.parametrize("name", list_scenarios())
def test_scenario_runs_and_its_faults_take_effect(
    name: str, stacks: Callable[[str], Stack], tmp_path: Path
) -> None:
    """The shortened run ends (ok, or aborted by its own abort rule: soak's budget at V3's
    99.9 % is a few failed requests) and every fault's check says it took effect."""
    phase = PHASE_OF.get(name, "v3")
    stack = stacks(phase)
    out = tmp_path / "run"
    result = run_experiment(
        RunOptions(
            phase=phase,
            scenario=name,
            duration=DURATION,
            seed=7,
            out=out,
            stack_dir=Path(stack.stack_dir),
            report=False,
        )
    )
    assert result.status in ("ok", "aborted"), (result.reason, result.errors)
    assert not result.errors
    events = read_events(out)
    starts = [e for e in events if e.kind == "fault_start"]
    assert len(starts) == len(load_scenario(name).scenario.faults)
    checks = [e for e in events if e.kind == "check" and "took_effect" in e.detail]
    assert all(c.detail["took_effect"] for c in checks), [c.detail for c in checks]
    assert len(checks) == len(starts)
    assert result.requests > 0
