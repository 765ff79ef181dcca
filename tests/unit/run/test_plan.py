"""The load plan: --duration auto sized by the report's own statistic, --workers auto, the
one line when a phase cannot be decided here, and the open model by default."""

from __future__ import annotations

import math

import pytest

from chaoslab.run.loadconfig import load_model
from chaoslab.run.plan import (
    DEFAULT_RATE,
    LOADER_RATE_PER_PROCESS,
    MAX_AUTO_S,
    SECOND_LOOK_FACTOR,
    LoadPlan,
    key_rate_limit,
    make_plan,
    requests_needed,
    second_look,
)
from reports.model import Interval, Sli
from reports.stats import wilson
from reports.verdict import availability_verdict
from scenarios.injector import plan as timeline
from scenarios.loader import load_scenario

V3, V4 = 0.999, 0.9999


def _perfect(requests: int) -> Sli:
    low, high = wilson(requests, requests)
    return Sli(
        requests=requests,
        good=requests,
        failure=0,
        excluded=0,
        availability=1.0,
        availability_interval=Interval(low=low, high=high, method="wilson"),
        latency={},
        ttft={},
    )


@pytest.mark.parametrize("target", [0.95, 0.99, V3, V4])
def test_auto_sizes_for_a_conclusive_pass_under_the_reports_verdict(target: float) -> None:
    """The planned requests at the offered rate make the report's availability verdict a pass
    when nothing fails, and one request fewer than needed does not."""
    plan = make_plan(phase="vx", target=target, scenario_duration=60.0, duration=None,
                     auto=True, rate=40.0, users=None)  # fmt: skip
    needed = plan.requests_needed
    assert needed is not None
    assert availability_verdict(_perfect(needed), target).verdict == "pass"
    assert availability_verdict(_perfect(needed - 1), target).verdict == "inconclusive"
    assert plan.requests_expected >= needed
    assert plan.duration_s >= 60.0


def test_auto_duration_for_v3_and_v4_at_the_default_rate() -> None:
    """99.9 %: 3,838 requests; 99.99 %: 38,411; at 40/s with 5 % and 5 s for the start."""
    assert (requests_needed(V3), requests_needed(V4)) == (3838, 38411)
    v3 = make_plan(phase="v3", target=V3, scenario_duration=60.0, duration=None, auto=True,
                   rate=40.0, users=None)  # fmt: skip
    v4 = make_plan(phase="v4", target=V4, scenario_duration=60.0, duration=None, auto=True,
                   rate=40.0, users=None)  # fmt: skip
    assert math.isclose(v3.duration_s, 3838 * 1.05 / 40 + 5)
    assert math.isclose(v4.duration_s, 38411 * 1.05 / 40 + 5)
    assert v3.decidable
    assert v4.decidable
    assert v4.stretched
    assert "38,411 needed for a conclusive 99.99 %" in v4.lines()[0]


def test_auto_raises_the_default_rate_until_v4_fits_in_twenty_minutes() -> None:
    """Nobody chose the rate (the default 15/s): V4's 38,411 requests would take 45 min, so
    auto offers 34/s, which fits them in 20 min, and says why; a rate somebody chose is kept
    (the plan then says what would decide it)."""
    default = make_plan(phase="v4", target=V4, scenario_duration=60.0, duration=None,
                        auto=True, rate=DEFAULT_RATE, users=None, rate_is_default=True)  # fmt: skip
    assert default.rate == 34.0
    assert default.decidable
    assert default.duration_s <= MAX_AUTO_S
    assert default.requests_expected >= 38411
    assert any("auto offers 34 requests/s instead of the default 15/s" in line
               for line in default.lines())  # fmt: skip
    chosen = make_plan(phase="v4", target=V4, scenario_duration=60.0, duration=None,
                       auto=True, rate=DEFAULT_RATE, users=None)  # fmt: skip
    assert chosen.rate == DEFAULT_RATE
    assert not chosen.decidable
    v3 = make_plan(phase="v3", target=V3, scenario_duration=60.0, duration=None, auto=True,
                   rate=DEFAULT_RATE, users=None, rate_is_default=True)  # fmt: skip
    assert v3.rate == DEFAULT_RATE  # 3,838 requests fit at 15/s


def test_auto_never_shortens_the_scenario() -> None:
    """V1 needs 73 requests: the scenario's 60 s stays."""
    plan = make_plan(phase="v1", target=0.95, scenario_duration=60.0, duration=None,
                     auto=True, rate=40.0, users=None)  # fmt: skip
    assert plan.duration_s == 60.0
    assert not plan.stretched


def test_a_plan_past_twenty_minutes_says_what_would_decide_it() -> None:
    """V4 at 20/s needs 34 min: capped at 20 min, and one line names a rate that fits."""
    plan = make_plan(phase="v4", target=V4, scenario_duration=60.0, duration=None, auto=True,
                     rate=20.0, users=None)  # fmt: skip
    assert plan.duration_s == MAX_AUTO_S
    assert not plan.decidable
    assert plan.lines()[-1].startswith("V4 cannot be decided at 20 requests/s here:")
    assert "--rate 34" in plan.advice


def test_a_rate_the_loader_cannot_reach_is_said_and_workers_are_added() -> None:
    """--workers auto adds processes up to the cores; past them, the plan says so."""
    two = make_plan(phase="v3", target=V3, scenario_duration=60.0, duration=None, auto=True,
                    rate=LOADER_RATE_PER_PROCESS * 1.5, users=None, cpus=2)  # fmt: skip
    assert two.workers == 2
    assert two.decidable
    far = make_plan(phase="v3", target=V3, scenario_duration=60.0, duration=None, auto=True,
                    rate=LOADER_RATE_PER_PROCESS * 5, users=None, cpus=2)  # fmt: skip
    assert far.workers == 2
    assert "loader cannot offer" in far.advice


def test_auto_lengthens_only_the_steady_spans() -> None:
    """provider-outage (90 s, outage 30-60 s) run for 200 s: the outage keeps its 30 s and
    the steady spans before and after grow by one factor (30 -> 85 s each)."""
    scenario = load_scenario("provider-outage").scenario
    (outage,) = timeline(scenario, seed=0, duration=200.0, keep_fault_times=True)
    assert outage.end is not None
    assert math.isclose(outage.end - outage.start, 30.0)
    assert math.isclose(outage.start, 85.0)
    assert math.isclose(200.0 - outage.end, 85.0)
    (scaled,) = timeline(scenario, seed=0, duration=200.0)
    assert scaled.end is not None
    assert math.isclose(scaled.end - scaled.start, 200.0 / 3)


def test_key_limit_of_the_labs_tier() -> None:
    """default=600/60 is 10 requests/s per key."""
    assert key_rate_limit("default=600/60") == 10.0
    assert key_rate_limit("pro=5/1") is None


def test_open_model_is_the_default_and_users_ask_for_closed() -> None:
    """baseline: the open model at the default rate; --users: closed; a spike stays closed."""
    from rundir import Stack, Targets

    stack = Stack(phase="v3", backend="local", front_door="http://x", api_key="k",
                  targets=Targets(availability=V3, latency_p95_s=2.5, ttft_p95_s=1.0))  # fmt: skip
    baseline = load_scenario("baseline").scenario
    assert load_model(baseline, stack, users=None, rate=None, default_rate=40.0) == (40.0, 10)
    assert load_model(baseline, stack, users=7, rate=None, default_rate=40.0) == (None, 7)
    assert load_model(baseline, stack, users=None, rate=12.0, default_rate=40.0)[0] == 12.0
    spike = load_scenario("traffic-spike").scenario
    assert load_model(spike, stack, users=None, rate=None, default_rate=40.0)[0] is None


def test_compare_runs_every_phase_for_the_longest_plan() -> None:
    """compare --run with --duration auto: one duration for all phases, V3's (the longest of
    V1 and V3), each phase's plan printed first."""
    import io

    from rich.console import Console

    from chaoslab.cli.compare import _shared_duration

    out = io.StringIO()
    scenario = load_scenario("provider-outage").scenario
    seconds = _shared_duration(scenario, {"v1": 0.95, "v3": V3}, 40.0, None, None,
                               Console(file=out, width=400))  # fmt: skip
    v3 = make_plan(phase="v3", target=V3, scenario_duration=90.0, duration=None, auto=True,
                   rate=40.0, users=None)  # fmt: skip
    assert seconds == v3.duration_s
    printed = out.getvalue().splitlines()
    assert printed[0].startswith("plan V1: open model, 40 requests/s offered")
    assert printed[1].startswith("plan V3: open model, 40 requests/s offered")
    assert printed[2].startswith(f"compare: every phase runs {seconds:.0f} s")


def test_closed_users_auto_plan_says_it_is_an_estimate() -> None:
    """--users with --duration auto: the rate is users / think time, and the plan says so."""
    plan = make_plan(phase="v3", target=V3, scenario_duration=60.0, duration=None, auto=True,
                     rate=None, users=20, think_time=1.0)  # fmt: skip
    assert plan.rate == 20.0
    assert plan.lines()[0].startswith("plan V3: closed model, 20 users (about 20 requests/s)")
    assert plan.lines()[1].startswith("note: closed users send less")


def test_a_fixed_duration_at_an_unreachable_rate_says_the_run_will_be_invalid() -> None:
    """A fixed --duration at a rate this machine's loader cannot offer (a capacity step at
    256/s on 2 cores): the plan says so and names the most it offers, with no nonsense rate
    to "decide" it (it proposed --rate 4 before)."""
    far = make_plan(phase="v3", target=V3, scenario_duration=30.0, duration=30.0, auto=False,
                    rate=256.0, users=None, cpus=2)  # fmt: skip
    assert "loader cannot offer it (3 Locust processes needed, 2 cores)" in far.advice
    assert "will likely be invalid" in far.advice
    assert f"{2 * LOADER_RATE_PER_PROCESS:g} requests/s is the most" in far.advice
    assert "--rate" not in far.advice


def _v3_auto() -> LoadPlan:
    return make_plan(phase="v3", target=V3, scenario_duration=90.0, duration=None, auto=True,
                     rate=DEFAULT_RATE, users=None, rate_is_default=True)  # fmt: skip


def test_an_auto_plan_says_when_it_would_go_on_for_a_second_look() -> None:
    plan = _v3_auto()
    assert plan.longest_s == pytest.approx(plan.duration_s * SECOND_LOOK_FACTOR)
    assert plan.longest_s <= MAX_AUTO_S
    line = next(line for line in plan.lines() if line.startswith("auto: if the first look"))
    assert "inconclusive with at most 7 failures" in line  # about 4,100 requests at first
    fixed = make_plan(phase="v3", target=V3, scenario_duration=90.0, duration=300.0,
                      auto=False, rate=DEFAULT_RATE, users=None)  # fmt: skip
    assert fixed.longest_s == fixed.duration_s
    v4 = make_plan(phase="v4", target=V4, scenario_duration=60.0, duration=None, auto=True,
                   rate=DEFAULT_RATE, users=None, rate_is_default=True)  # fmt: skip
    assert v4.longest_s == v4.duration_s  # 4x would pass the 20 min limit: no second look


def test_a_clean_first_look_ends_the_run() -> None:
    plan = _v3_auto()
    look = second_look(plan, requests=4_100, failures=0, elapsed_s=plan.duration_s)
    assert look.duration_s is None
    assert look.line == ""


def test_an_inconclusive_first_look_with_a_pass_in_reach_goes_on_four_times_as_long() -> None:
    plan = _v3_auto()
    look = second_look(plan, requests=4_100, failures=3, elapsed_s=plan.duration_s)
    assert look.duration_s == pytest.approx(plan.duration_s * SECOND_LOOK_FACTOR)
    assert look.went_on_at_most == 7
    assert look.line.startswith("first look: 3 failures among 4,100: inconclusive; going on")


def test_a_first_look_past_what_a_second_could_pass_ends_the_run() -> None:
    plan = _v3_auto()
    look = second_look(plan, requests=4_100, failures=8, elapsed_s=plan.duration_s)
    assert look.duration_s is None
    assert "a second look could not pass (it allows at most 7); ending" in look.line
    fixed = make_plan(phase="v3", target=V3, scenario_duration=90.0, duration=300.0,
                      auto=False, rate=DEFAULT_RATE, users=None)  # fmt: skip
    assert second_look(fixed, requests=4_100, failures=3, elapsed_s=300.0).duration_s is None
