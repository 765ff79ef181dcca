"""The planned timeline: scaling to a shorter run, seeded jitter; the error budget rule."""

from __future__ import annotations

import math

import msgspec

from chaoslab.run.live import budget_used
from scenarios.injector import plan
from scenarios.loader import load_scenario
from scenarios.model import Fault, Load, Scenario, dec_hook


def _scenario(**fault: object) -> Scenario:
    base = {"at": "30s", "duration": "30s", "target": "cache", "action": "latency", **fault}
    return Scenario(
        title="t",
        hypothesis="h",
        teaches="x",
        load=msgspec.convert({"duration": "90s"}, Load, dec_hook=dec_hook),
        faults=(msgspec.convert(base, Fault, dec_hook=dec_hook),),
    )


def test_shorter_run_scales_every_time() -> None:
    """A 90 s scenario run for 30 s keeps its shape: 30-60 s becomes 10-20 s."""
    (planned,) = plan(load_scenario("provider-outage").scenario, seed=0, duration=30.0)
    assert (planned.start, planned.end) == (10.0, 20.0)


def test_jitter_is_fixed_by_the_seed() -> None:
    """The same seed draws the same jitter; another seed another one."""
    scenario = _scenario(jitter="5s")
    first = plan(scenario, seed=7)[0].start
    assert plan(scenario, seed=7)[0].start == first
    assert 25.0 <= first <= 35.0
    assert any(plan(scenario, seed=s)[0].start != first for s in range(1, 5))


def test_fault_without_duration_lasts_until_the_end() -> None:
    """No duration: the fault stays until the run ends (end is None)."""
    assert plan(_scenario(duration=None), seed=0)[0].end is None


def test_budget_used_extrapolates_to_the_whole_run() -> None:
    """0.5 % failures a third of the way into a 99 % run uses half the budget... of a third."""
    used = budget_used(failures=5, valid=1000, elapsed=30.0, duration=90.0, target=0.99)
    assert math.isclose(used, 5 / (0.01 * 3000))


def test_budget_gone_once_failures_exceed_the_runs_allowance() -> None:
    """Failures past (1 - target) x expected requests use more than the whole budget."""
    assert budget_used(failures=40, valid=1000, elapsed=30.0, duration=90.0, target=0.99) > 1.0
