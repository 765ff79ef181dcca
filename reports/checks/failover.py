"""``failover_s``: from a provider fault's start to the first good answer another provider
served to a request sent inside the window."""

from __future__ import annotations

from collections.abc import Sequence

from reports.checks.common import (
    all_providers,
    faulted_providers,
    in_window,
    judge,
    not_judged,
    taking_out,
)
from reports.model import FailoverTime, LlmCheck
from reports.rundata import FaultWindow
from rundir import CheckThresholds, RequestRecord, Stack

__all__ = ["failover_checks", "failover_times"]


def _answered_at(record: RequestRecord) -> float:
    if record.stream and record.ttft_s is not None:
        return record.t + record.ttft_s
    return record.t + record.latency_s


def failover_times(
    records: Sequence[RequestRecord], faults: Sequence[FaultWindow], stack: Stack, *, run_end: float
) -> list[FailoverTime]:
    """For each fault that took providers out (not all of them): seconds from its start to
    the first good answer another provider served to a request sent inside the window. A
    fault that only degraded them (a slow tail, a share of errors: ``takes_out`` false) calls
    for no failover and is not timed."""
    everyone = all_providers(stack)
    out: list[FailoverTime] = []
    for fault in taking_out(faults):
        down = faulted_providers(fault, stack)
        if not down or down >= everyone:
            continue
        end = min(fault.end, run_end)
        answers = [
            (_answered_at(r), r.provider)
            for r in records
            if fault.start <= r.t < end
            and r.outcome == "good"
            and r.provider is not None
            and r.provider not in down
        ]
        first = min(answers, default=None)
        out.append(
            FailoverTime(
                window=fault.id,
                provider=", ".join(sorted(down)),
                next_provider=None if first is None else first[1],
                seconds=None if first is None else max(0.0, first[0] - fault.start),
            )
        )
    return out


def failover_checks(
    times: Sequence[FailoverTime],
    records: Sequence[RequestRecord],
    faults: Sequence[FaultWindow],
    *,
    thresholds: CheckThresholds,
    run_end: float,
) -> list[LlmCheck]:
    """One check per provider fault; one "not exercised" line when no fault hit a provider."""
    name = "failover_s"
    limit = thresholds.failover_s
    if limit is None:
        return [
            not_judged(
                name, "failover time", None, "not_applicable", "the phase sets no checks.failover_s"
            )
        ]
    if not times:
        return [
            not_judged(
                name,
                f"failover within {limit:g} s",
                None,
                "not_exercised",
                "no fault took a provider out while another could answer",
                threshold=limit,
            )
        ]
    ends = {f.id: min(f.end, run_end) for f in faults}
    starts = {f.id: f.start for f in faults}
    out: list[LlmCheck] = []
    for time in times:
        title = (
            f"failover within {limit:g} s after {time.provider} went down{in_window(time.window)}"
        )
        sent = sum(1 for r in records if starts[time.window] <= r.t < ends[time.window])
        if sent == 0:
            out.append(
                not_judged(
                    name,
                    title,
                    time.window,
                    "not_exercised",
                    "no client request during the fault",
                    threshold=limit,
                )
            )
            continue
        if time.seconds is None:
            reason = "no other provider answered during the fault"
            out.append(
                judge(
                    name, title, time.window, value=None, limit=limit, passed=False, reason=reason
                )
            )
            continue
        out.append(
            judge(
                name,
                title,
                time.window,
                value=time.seconds,
                limit=limit,
                passed=time.seconds <= limit,
                reason=f"the first answer from {time.next_provider} came "
                f"{time.seconds:.2f} s after the fault began",
            )
        )
    return out
