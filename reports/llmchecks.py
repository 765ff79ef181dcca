"""The LLM-aware checks: thresholds from the phase file's ``checks`` table, judged on the run.

Each check gives one ``LlmCheck`` per span it judges (the whole run, or each fault window):

- ``max_attempts_per_request``: upstream attempts per client request (the fakes' count by
  request id, or the service's histogram; the larger when both exist) in every window;
- ``breaker_opens_within_failures``: for every provider a fault took out, each replica's
  breaker opened after at most k failures (the service's ``chat_breaker_failures_at_open``);
  a replica that absorbed more than k failures without opening fails;
- ``failover_s``: from a provider fault's start to the first answer another provider served;
- ``mixed_answers``: no answer holds text from two providers (the fakes mark their tokens);
  it has no threshold: it applies to every phase;
- ``burn_rate``: the SRE workbook's multi-window burn-rate rule scaled to the run's length.

A threshold the phase does not set is "not applicable"; a check whose trigger never happened
(no provider fault, no breaker-worthy failures, no marked answer...) is "not exercised":
neither is a pass. A failed check breaches the run (exit code 1), like a failed target.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from typing import Any

from lab.rundir import RequestRecord, Stack
from reports.model import (
    BreakerReaction,
    BurnRate,
    CheckState,
    FailoverTime,
    LlmCheck,
    UpstreamSpan,
)
from reports.promdata import PromData
from reports.rundata import FaultWindow
from reports.serverside import attempts_per_request

__all__ = [
    "attempts_check",
    "attempts_checks",
    "breaker_checks",
    "breaker_reactions",
    "burn_check",
    "burn_rate",
    "failover_checks",
    "failover_times",
    "faulted_providers",
    "mixed_check",
    "step_of",
    "threshold",
]

_ATTEMPTS = "chat_upstream_attempts_per_request"
_AT_OPEN = "chat_breaker_failures_at_open_bucket"
_MIN_SHORT_REQUESTS = 10
_SCRAPES_PER_WINDOW = 5


def threshold(phase_config: dict[str, Any], key: str) -> float | None:
    """``checks.<key>`` of the phase (a number), or None when the phase does not set it."""
    checks = phase_config.get("checks")
    raw = checks.get(key) if isinstance(checks, dict) else None
    return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None


def _judge(
    name: str,
    title: str,
    window: str | None,
    *,
    value: float | None,
    limit: float,
    passed: bool,
    reason: str,
) -> LlmCheck:
    return LlmCheck(
        name=name,
        title=title,
        window=window,
        state="pass" if passed else "fail",
        value=value,
        threshold=limit,
        reason="" if passed else reason,
    )


def _not(name: str, title: str, window: str | None, state: CheckState, reason: str) -> LlmCheck:
    return LlmCheck(
        name=name,
        title=title,
        window=window,
        state=state,
        value=None,
        threshold=None,
        reason=reason,
    )


def _where(window: str | None) -> str:
    return f" in fault window {window}" if window else ""


# -- attempts per request --------------------------------------------------------------


def attempts_check(
    *,
    phase_config: dict[str, Any],
    attempts_per_request: float | None,
    requests: int,
    window: str | None = None,
    source: str = "service",
) -> LlmCheck:
    """``checks.max_attempts_per_request`` against the attempts per client request (over the
    whole run, or inside the fault window ``window``)."""
    name = "max_attempts_per_request"
    limit = threshold(phase_config, name)
    if limit is None:
        reason = "the phase sets no checks.max_attempts_per_request"
        return _not(
            name, f"upstream attempts per request{_where(window)}", window, "not_applicable", reason
        )
    whose = "the fakes' count" if source == "fakes" else "the service's count"
    title = f"upstream attempts per request ≤ {limit:g}{_where(window)} ({whose})"
    if requests == 0 or attempts_per_request is None:
        why = "no client request" if requests == 0 else "no request reached a provider"
        return LlmCheck(
            name=name,
            title=title,
            window=window,
            state="not_exercised",
            value=None,
            threshold=limit,
            reason=why,
        )
    return _judge(
        name,
        title,
        window,
        value=attempts_per_request,
        limit=limit,
        passed=attempts_per_request <= limit,
        reason="more upstream attempts per request than the phase allows",
    )


def _service_ratio(prom: PromData | None, start: float, end: float) -> float | None:
    if prom is None:
        return None
    count = prom.increase_between(f"{_ATTEMPTS}_count", start, end)
    if count <= 0:
        return None
    return prom.increase_between(f"{_ATTEMPTS}_sum", start, end) / count


def _pick(fakes: float | None, service: float | None) -> tuple[float | None, str]:
    """The larger count (a fault at the proxy hides attempts from the fakes; the fakes see
    attempts the service may not count), and whose it is."""
    if fakes is None:
        return service, "service"
    if service is None or fakes >= service:
        return fakes, "fakes"
    return service, "service"


def attempts_checks(
    records: Sequence[RequestRecord],
    faults: Sequence[FaultWindow],
    *,
    prom: PromData | None,
    spans: Sequence[UpstreamSpan],
    phase_config: dict[str, Any],
    run_end: float,
) -> list[LlmCheck]:
    """The attempts check over the whole run, then inside each fault window."""
    valid = [r for r in records if r.outcome != "excluded"]
    by_window = {s.window: s for s in spans}
    whole = by_window.get(None)
    value, source = _pick(whole.attempts_per_request if whole else None, attempts_per_request(prom))
    out = [
        attempts_check(
            phase_config=phase_config,
            attempts_per_request=value,
            requests=len(valid),
            source=source,
        )
    ]
    for fault in faults:
        end = min(fault.end, run_end)
        inside = sum(1 for r in valid if fault.start <= r.t < end)
        span = by_window.get(fault.id)
        value, source = _pick(
            span.attempts_per_request if span else None, _service_ratio(prom, fault.start, end)
        )
        out.append(
            attempts_check(
                phase_config=phase_config,
                attempts_per_request=value,
                requests=inside,
                window=fault.id,
                source=source,
            )
        )
    return out


# -- which providers a fault took out ---------------------------------------------------


def faulted_providers(fault: FaultWindow, stack: Stack) -> set[str]:
    """The provider names (as the service's chain knows them) whose fake the fault hit."""
    names = fault.detail.get("components")
    hit = set(names) if isinstance(names, list) else set()
    return {
        part.provider
        for part in stack.of_kind("provider")
        if part.name in hit and part.provider is not None
    }


def _all_providers(stack: Stack) -> set[str]:
    return {p.provider for p in stack.of_kind("provider") if p.provider is not None}


# -- failover time ----------------------------------------------------------------------


def _answered_at(record: RequestRecord) -> float:
    if record.stream and record.ttft_s is not None:
        return record.t + record.ttft_s
    return record.t + record.latency_s


def failover_times(
    records: Sequence[RequestRecord], faults: Sequence[FaultWindow], stack: Stack, *, run_end: float
) -> list[FailoverTime]:
    """For each fault that took providers out (not all of them): seconds from its start to
    the first good answer another provider served to a request sent inside the window."""
    everyone = _all_providers(stack)
    out: list[FailoverTime] = []
    for fault in faults:
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
    phase_config: dict[str, Any],
    run_end: float,
) -> list[LlmCheck]:
    """One check per provider fault; one "not exercised" line when no fault hit a provider."""
    name = "failover_s"
    limit = threshold(phase_config, name)
    if limit is None:
        return [
            _not(
                name, "failover time", None, "not_applicable", "the phase sets no checks.failover_s"
            )
        ]
    if not times:
        return [
            LlmCheck(
                name=name,
                title=f"failover within {limit:g} s",
                state="not_exercised",
                value=None,
                threshold=limit,
                reason="no fault took a provider out while another could answer",
            )
        ]
    ends = {f.id: min(f.end, run_end) for f in faults}
    starts = {f.id: f.start for f in faults}
    out: list[LlmCheck] = []
    for time in times:
        title = f"failover within {limit:g} s after {time.provider} went down{_where(time.window)}"
        sent = sum(1 for r in records if starts[time.window] <= r.t < ends[time.window])
        if sent == 0:
            out.append(
                LlmCheck(
                    name=name,
                    title=title,
                    window=time.window,
                    state="not_exercised",
                    value=None,
                    threshold=limit,
                    reason="no client request during the fault",
                )
            )
            continue
        if time.seconds is None:
            reason = "no other provider answered during the fault"
            out.append(
                _judge(
                    name, title, time.window, value=None, limit=limit, passed=False, reason=reason
                )
            )
            continue
        out.append(
            _judge(
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


# -- breaker reaction -------------------------------------------------------------------


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
    for fault in faults:
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
    phase_config: dict[str, Any],
) -> list[LlmCheck]:
    """Per provider fault: every replica's breaker opened within k failures."""
    name = "breaker_opens_within_failures"
    limit = threshold(phase_config, name)
    if limit is None:
        return [
            _not(
                name,
                "breaker reaction",
                None,
                "not_applicable",
                "the phase sets no checks.breaker_opens_within_failures",
            )
        ]
    title = f"breaker opens within {limit:g} failures"
    hit = [f for f in faults if faulted_providers(f, stack)]
    if not hit:
        return [
            LlmCheck(
                name=name,
                title=title,
                state="not_exercised",
                value=None,
                threshold=limit,
                reason="no fault took a provider out",
            )
        ]
    out: list[LlmCheck] = []
    for fault in hit:
        mine = [r for r in reactions if r.window == fault.id]
        where = f"{title}{_where(fault.id)}"
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
                _judge(name, where, fault.id, value=worst, limit=limit, passed=False, reason=reason)
            )
        elif opened:
            out.append(
                _judge(name, where, fault.id, value=worst, limit=limit, passed=True, reason="")
            )
        else:
            why = (
                f"no replica's breaker opened and none absorbed more than {limit:g} failures"
                if mine
                else "the service counted no attempt to the faulted provider"
            )
            out.append(
                LlmCheck(
                    name=name,
                    title=where,
                    window=fault.id,
                    state="not_exercised",
                    value=worst,
                    threshold=limit,
                    reason=why,
                )
            )
    return out


# -- mixed answers ----------------------------------------------------------------------


def mixed_check(
    records: Sequence[RequestRecord], faults: Sequence[FaultWindow], stack: Stack
) -> LlmCheck:
    """No answer mixes text from two providers. Exercised once answers came from two
    providers, or a fault hit a provider while marked answers flowed."""
    name = "mixed_answers"
    title = "no answer mixes text from two providers"
    marked = [r for r in records if r.marks]
    if not marked:
        return _not(
            name,
            title,
            None,
            "not_exercised",
            "no answer carried provider marks (unmarked providers)",
        )
    mixed = [r for r in marked if r.marks is not None and len(r.marks) > 1]
    seen = {m for r in marked for m in r.marks or ()}
    in_fault = any(
        fault.start <= r.t < fault.end
        for fault in faults
        if faulted_providers(fault, stack)
        for r in marked
    )
    if not mixed and len(seen) < 2 and not in_fault:
        return _not(
            name,
            title,
            None,
            "not_exercised",
            "every answer came from one provider and no fault hit a provider",
        )
    first = mixed[0] if mixed else None
    reason = (
        ""
        if first is None
        else (
            f"{len(mixed)} of {len(marked)} answers mixed providers' text "
            f"(first: request {first.request_id or '?'}, marks {list(first.marks or ())})"
        )
    )
    return _judge(
        name, title, None, value=float(len(mixed)), limit=0.0, passed=not mixed, reason=reason
    )


# -- burn rate --------------------------------------------------------------------------


def step_of(prom: PromData | None) -> float:
    """The scrape interval (the saved series' step), 1 s when unknown (the local backend)."""
    if prom is not None:
        steps = [r.step for r in prom.results.values() if r.step > 0]
        if steps:
            return min(steps)
    return 1.0


def burn_rate(
    records: Sequence[RequestRecord],
    *,
    target: float,
    limit: float,
    start: float,
    end: float,
    step: float,
) -> BurnRate:
    """The workbook's two-window rule scaled from 30 days to the run: windows of run/12 and
    run/144, never shorter than five scrape intervals; evaluated every ``step`` seconds on the
    client's valid requests. A long window counts only with enough requests that a single
    failure cannot make it burn past ``limit``; the short one needs ten."""
    duration = max(end - start, 0.0)
    long_s = max(duration / 12, _SCRAPES_PER_WINDOW * step)
    short_s = max(duration / 144, _SCRAPES_PER_WINDOW * step)
    budget = max(1.0 - target, 1e-12)
    min_requests = max(10, math.floor(1.0 / (budget * limit)) + 1)
    valid = sorted((r.t, r.outcome == "failure") for r in records if r.outcome != "excluded")
    times = [t for t, _ in valid]
    failures = [0, *itertools.accumulate(int(f) for _, f in valid)]

    def burn(lo: float, hi: float, least: int) -> float | None:
        i, j = bisect.bisect_left(times, lo), bisect.bisect_left(times, hi)
        n = j - i
        return None if n < least else (failures[j] - failures[i]) / n / budget

    evaluations, peak, first = 0, None, None
    steps = int((end - (start + long_s)) / step) if step > 0 else 0
    for k in range(max(steps, 0) + 1):
        now = start + long_s + k * step
        if now > end:
            break
        slow = burn(now - long_s, now, min_requests)
        fast = burn(now - short_s, now, _MIN_SHORT_REQUESTS)
        if slow is None or fast is None:
            continue
        evaluations += 1
        both = min(slow, fast)
        peak = both if peak is None else max(peak, both)
        if first is None and both > limit:
            first = now - start
    return BurnRate(
        threshold=limit,
        long_window_s=long_s,
        short_window_s=short_s,
        min_requests=min_requests,
        evaluations=evaluations,
        peak=peak,
        first_alarm_s=first,
    )


def burn_check(burn: BurnRate | None, *, phase_config: dict[str, Any]) -> LlmCheck:
    name = "burn_rate"
    if burn is None:
        return _not(
            name,
            "error-budget burn rate",
            None,
            "not_applicable",
            "the phase sets no checks.burn_rate",
        )
    title = (
        f"error budget never burns > {burn.threshold:g}x in both the "
        f"{burn.long_window_s:.0f} s and {burn.short_window_s:.0f} s windows"
    )
    if burn.evaluations == 0:
        return LlmCheck(
            name=name,
            title=title,
            state="not_exercised",
            value=None,
            threshold=burn.threshold,
            reason=f"no {burn.long_window_s:.0f} s window held {burn.min_requests} requests",
        )
    alarmed = burn.first_alarm_s is not None
    reason = "" if not alarmed else f"both windows burned past it at +{burn.first_alarm_s:.0f} s"
    return _judge(
        name, title, None, value=burn.peak, limit=burn.threshold, passed=not alarmed, reason=reason
    )
