"""During a run: the periodic steady-state check and the abort rule, each a pure function of
the live statistics (the runner writes what they return as events)."""

from __future__ import annotations

import math

from chaoslab.run.live import LiveStats, budget_used
from reports.stats import exact_quantile_lower, exact_upper
from rundir import RequestRecord, Stack
from rundir.events import Abort, Check
from scenarios.injector import Injector, StartedFault
from scenarios.model import Scenario

__all__ = [
    "FAMILY_ERROR",
    "abort_of",
    "cut_at_impact",
    "planned_checks",
    "steady_check",
    "window_p95_lower_bound",
    "window_upper_bound",
]

FAMILY_ERROR = 0.05
"""The chance, over a whole run, that any steady-state check of a service exactly at its
target is called broken (Bonferroni: each of the run's planned checks gets its share)."""


def planned_checks(duration_s: float, check_every_s: float) -> int:
    """How many steady-state checks a run of ``duration_s`` makes (at least one)."""
    if check_every_s <= 0:
        return 1
    return max(1, math.floor(duration_s / check_every_s))


def window_upper_bound(
    availability: float | None, requests: int, *, checks: int = 1
) -> float | None:
    """The exact upper bound of a check window's availability, at an error level shared by
    the run's ``checks`` checks (``FAMILY_ERROR / checks`` each).

    A steady-state check is broken only when even this misses the target. Five seconds hold
    a few dozen requests, and a run makes dozens of checks: one failure among 70 requests
    happens to a service exactly at 99.9 % in 7 % of windows, so in nearly every run of 50
    checks. The exact binomial bound (the Wilson bound is too eager this far into the tail)
    at a Bonferroni-shared error keeps a service at its target from breaking any check in
    95 % of runs, while a real fall (3 failures among 70 at 99.9 %) still breaks one."""
    if availability is None or requests <= 0:
        return None
    good = round(availability * requests)
    return round(exact_upper(good, requests, alpha=FAMILY_ERROR / max(1, checks)), 6)


def window_p95_lower_bound(sorted_latencies: tuple[float, ...], *, checks: int = 1) -> float | None:
    """The exact lower bound of a check window's p95 latency, at the error level the run's
    ``checks`` share (as ``window_upper_bound``). The p95 half of a check is broken only when
    even this is over the target: 15 requests of a realistic provider whose slowest took
    3.7 s show a p95 of 3.7 s by chance (one answer in 20 is slower than the p95 anyway);
    broken means several of them were slow, the 11th slowest of 15 over the target."""
    if not sorted_latencies:
        return None
    bound = exact_quantile_lower(sorted_latencies, 0.95, alpha=FAMILY_ERROR / max(1, checks))
    return None if bound is None else round(bound, 6)


def cut_at_impact(record: RequestRecord, fault: StartedFault, stack: Stack) -> bool:
    """Whether ``record`` is a stream ``fault`` cut at its start, past its first token: the
    fault's own cost, which no handling can save (finishing the answer on another provider
    would mix two providers' text in it), so the steady-state check leaves it out.

    All of: the fault takes its targets out (None, a run that did not say: it does); the
    request is a failed stream whose first token came before the fault started and which
    ended at or after it; its answer carries exactly one provider mark, that of a component
    the fault hit. A record without marks cannot be attributed and is never left out; nor is
    a request in flight without a first token (the service can fail it over)."""
    if fault.takes_out is False:
        return False
    if record.outcome != "failure" or not record.stream or record.ttft_s is None:
        return False
    if not record.t + record.ttft_s < fault.at <= record.t + record.latency_s:
        return False
    if record.marks is None or len(record.marks) != 1:
        return False
    hit = set(fault.components)
    return any(part.mark == record.marks[0] for part in stack.components if part.name in hit)


def steady_check(
    scenario: Scenario,
    stack: Stack,
    stats: LiveStats,
    injector: Injector,
    *,
    start: float,
    now: float,
    target: float,
    checks: int = 1,
) -> Check | None:
    """The steady state over the last ``check_every`` seconds, in the window (before,
    during, after the faults) it falls in; None when the scenario does not check there.
    ``checks``: how many checks the run makes in all (``planned_checks``). Streams a fault
    cut at its start (``cut_at_impact``, any fault of the run so far) are left out of the
    window; the check counts them in ``cut_at_impact``."""
    steady = scenario.steady_state
    if injector.active or injector.last_end_at > now - steady.check_every:
        window = "during"  # a window that saw a fault is not "after" it
    elif injector.done:
        window = "after"
    else:
        window = "before"
    if window not in steady.windows:
        return None
    started = list(injector.started)

    def cut(record: RequestRecord) -> bool:
        return any(cut_at_impact(record, fault, stack) for fault in started)

    seen = stats.window(now - steady.check_every, now, leave_out=cut if started else None)
    latency_target = steady.latency_p95_s or stack.targets.latency_p95_s
    upper = window_upper_bound(seen.availability, seen.requests, checks=checks)
    p95_low = window_p95_lower_bound(seen.good_latencies, checks=checks)
    holds = (upper is None or upper >= target) and (p95_low is None or p95_low <= latency_target)
    return Check(
        window=window, t_rel=round(now - start, 3), requests=seen.requests,
        availability=seen.availability, availability_upper=upper,
        p95_s=seen.p95_s, p95_lower=p95_low, holds=holds, active=list(injector.active),
        cut_at_impact=seen.cut_at_impact,
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
