"""During a run: the periodic steady-state check and the abort rule, each a pure function of
the live statistics (the runner writes what they return as events)."""

from __future__ import annotations

from chaoslab.run.live import LiveStats, budget_used
from reports.stats import wilson
from rundir import Stack
from rundir.events import Abort, Check
from scenarios.injector import Injector
from scenarios.model import Scenario

__all__ = ["abort_of", "steady_check", "window_upper_bound"]


def window_upper_bound(availability: float | None, requests: int) -> float | None:
    """The upper end of the 95 % Wilson interval of a check window's availability.

    A steady-state check is broken only when even this misses the target: five seconds
    hold a few dozen requests, and one failure among 40 says nothing about a 99.9 % target
    (the same rule the verdict applies to the whole run)."""
    if availability is None or requests <= 0:
        return None
    good = round(availability * requests)
    return round(wilson(good, requests)[1], 6)


def steady_check(
    scenario: Scenario,
    stack: Stack,
    stats: LiveStats,
    injector: Injector,
    *,
    start: float,
    now: float,
    target: float,
) -> Check | None:
    """The steady state over the last ``check_every`` seconds, in the window (before,
    during, after the faults) it falls in; None when the scenario does not check there."""
    steady = scenario.steady_state
    if injector.active or injector.last_end_at > now - steady.check_every:
        window = "during"  # a window that saw a fault is not "after" it
    elif injector.done:
        window = "after"
    else:
        window = "before"
    if window not in steady.windows:
        return None
    seen = stats.window(now - steady.check_every, now)
    latency_target = steady.latency_p95_s or stack.targets.latency_p95_s
    upper = window_upper_bound(seen.availability, seen.requests)
    holds = (upper is None or upper >= target) and (
        seen.p95_s is None or seen.p95_s <= latency_target
    )
    return Check(
        window=window, t_rel=round(now - start, 3), requests=seen.requests,
        availability=seen.availability, availability_upper=upper,
        p95_s=seen.p95_s, holds=holds, active=list(injector.active),
    )  # fmt: skip


def abort_of(
    scenario: Scenario, stats: LiveStats, *, elapsed: float, duration: float, target: float
) -> Abort | None:
    """The scenario's abort rule: an ``Abort`` once the error budget used passes its limit
    (after ``min_requests``); None while the run may go on."""
    rule = scenario.abort
    valid = stats.good + stats.failure
    if rule is None or valid < rule.min_requests:
        return None
    used = budget_used(failures=stats.failure, valid=valid, elapsed=elapsed,
                       duration=duration, target=target)  # fmt: skip
    if used < rule.budget:
        return None
    reason = f"error budget {used:.0%} used (limit {rule.budget:.0%}) after {elapsed:.0f}s"
    return Abort(reason=reason, budget_used=round(used, 4))
