"""``breaker_opens_within_failures``: in every provider fault, each replica's breaker for the
faulted provider opened with at most k failures in its window (the service's
``chat_breaker_failures_at_open`` histogram: an upper bound from its integer buckets); a
replica that sent more than k failed attempts without opening fails."""

from __future__ import annotations

import math
from collections.abc import Sequence

from reports.checks.common import (
    faulted_providers,
    in_window,
    judge,
    not_judged,
    step_of,
    taking_out,
)
from reports.model import BreakerReaction, LlmCheck
from reports.promdata import PromData
from reports.rundata import FaultWindow
from rundir import CheckThresholds, Stack

__all__ = ["breaker_checks", "breaker_reactions"]

_AT_OPEN = "chat_breaker_failures_at_open_bucket"


def _highest_bucket(
    prom: PromData, where: dict[str, str], start: float, end: float
) -> float | None:
    """The upper bound of the highest histogram bucket that got an observation."""
    counts: dict[float, float] = {}
    for series in prom.series(_AT_OPEN, where):
        label = series.labels.get("le", "")
        key = math.inf if label == "+Inf" else float(label)
        grown = prom.increase_between(_AT_OPEN, start, end, dict(series.labels))
        counts[key] = counts.get(key, 0.0) + grown
    highest: float | None = None
    below = 0.0
    for key in sorted(counts):
        if counts[key] > below:
            highest = key
        below = max(below, counts[key])
    return highest


def breaker_reactions(
    prom: PromData | None, faults: Sequence[FaultWindow], stack: Stack, *, run_end: float
) -> list[BreakerReaction]:
    """Per provider fault, per replica, per faulted provider: did its breaker open, after how
    many failures, and how many failures did the replica send the provider in the window."""
    if prom is None or not prom.has("chat_provider_attempts_total"):
        return []
    step = step_of(prom)
    out: list[BreakerReaction] = []
    for fault in taking_out(faults):
        down = faulted_providers(fault, stack)
        # counts of the window's last moments are in the next scrape
        start, end = fault.start, min(fault.end, run_end) + step
        for provider in sorted(down):
            replicas = sorted(
                {
                    s.labels.get("instance", "")
                    for s in prom.series("chat_provider_attempts_total", {"provider": provider})
                }
                - {""}
            )
            for replica in replicas:
                where = {"instance": replica, "provider": provider}
                failures = prom.increase_between(
                    "chat_provider_attempts_total", start, end, {**where, "outcome": "error"}
                )
                opens = prom.increase_between(
                    "chat_breaker_transitions_total", start, end, {**where, "state": "open"}
                )
                at_open = _highest_bucket(prom, where, start, end) if opens > 0 else None
                out.append(
                    BreakerReaction(
                        window=fault.id,
                        replica=replica,
                        provider=provider,
                        opened=opens > 0,
                        failures_at_open=at_open,
                        failures=failures,
                    )
                )
    return out


def breaker_checks(
    reactions: Sequence[BreakerReaction],
    faults: Sequence[FaultWindow],
    stack: Stack,
    *,
    thresholds: CheckThresholds,
) -> list[LlmCheck]:
    """Per provider fault: every replica's breaker opened within k failures."""
    name = "breaker_opens_within_failures"
    limit = thresholds.breaker_opens_within_failures
    if limit is None:
        return [
            not_judged(
                name,
                "breaker reaction",
                None,
                "not_applicable",
                "the phase sets no checks.breaker_opens_within_failures",
            )
        ]
    title = f"breaker opens within {limit:g} failures"
    hit = [f for f in taking_out(faults) if faulted_providers(f, stack)]
    if not hit:
        return [
            not_judged(
                name, title, None, "not_exercised", "no fault took a provider out", threshold=limit
            )
        ]
    out: list[LlmCheck] = []
    for fault in hit:
        mine = [r for r in reactions if r.window == fault.id]
        where = f"{title}{in_window(fault.id)}"
        late = [r for r in mine if r.opened and (r.failures_at_open or 0) > limit]
        never = [r for r in mine if not r.opened and r.failures > limit]
        opened = [r for r in mine if r.opened]
        worst = max(
            [r.failures_at_open or 0.0 for r in opened] + [r.failures for r in never], default=None
        )
        if late or never:
            who = (late + never)[0]
            how = (
                f"opened after up to {who.failures_at_open:g} failures"
                if who.opened
                else f"never opened after {who.failures:g} failures"
            )
            reason = f"{who.replica}'s breaker for {who.provider} {how}"
            out.append(
                judge(name, where, fault.id, value=worst, limit=limit, passed=False, reason=reason)
            )
        elif opened:
            out.append(
                judge(name, where, fault.id, value=worst, limit=limit, passed=True, reason="")
            )
        else:
            why = (
                f"no replica's breaker opened and none absorbed more than {limit:g} failures"
                if mine
                else "the service counted no attempt to the faulted provider"
            )
            out.append(
                not_judged(
                    name, where, fault.id, "not_exercised", why, threshold=limit, value=worst
                )
            )
    return out
