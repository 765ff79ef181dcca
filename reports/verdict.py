"""The verdict rule, invalid runs, overrides, and the exit code.

Per target (docs/reports.md): with a 95 % interval around the measured value,

- pass only when the whole interval meets the target (availability: its lower bound is at
  or above the target; a latency quantile: its upper bound is at or under it);
- fail when the whole interval misses it;
- inconclusive otherwise, with the requests that would settle it at the observed rate;
- not exercised when nothing triggered it (no streams for time to first token, no valid
  request, a check that never ran): never a pass.

A run that is invalid (did not finish, load generator saturated, scrapes missed, the
machine or Prometheus stalled, a part down that no fault took down, no requests) gets no
verdict at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reports.model import (
    Check,
    Interval,
    Override,
    Sli,
    Status,
    TargetVerdict,
    Verdict,
    WindowSli,
)
from reports.promdata import PromData, ScrapeSummary, ScrapeTarget
from reports.rundata import RunData
from reports.stats import (
    LOOK_ERROR,
    quantile,
    quantile_interval,
    requests_needed_proportion,
    requests_needed_quantile,
    second_look_allows,
    second_look_p,
)
from rundir import Targets
from rundir.events import Look, MachineWait

__all__ = [
    "CPU_LIMIT_PERCENT",
    "DOWN_GRACE_S",
    "EXIT_BAD_INPUT",
    "EXIT_BREACHED",
    "EXIT_INCONCLUSIVE",
    "EXIT_INVALID",
    "EXIT_MET",
    "SCRAPE_SHARE",
    "STALL_REASON",
    "availability_verdict",
    "check_verdicts",
    "effective_targets",
    "exit_code",
    "invalid_reasons",
    "quantile_verdict",
    "status_of",
]

EXIT_MET, EXIT_BREACHED, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE, EXIT_INVALID = 0, 1, 2, 3, 4
CPU_LIMIT_PERCENT = 90.0
"""A load generator above this CPU share measures itself, not the service."""
SCRAPE_SHARE = 0.9
"""A target scraped fewer than this share of the expected times makes the run invalid."""
STALL_REASON = "the machine or Prometheus stalled"
"""How the invalid reason begins when Prometheus missed its own scrapes."""
DOWN_GRACE_S = 15.0
"""After a fault ends, parts may take this long to come back before "down" counts."""

_TARGET_NAMES = ("availability", "latency_p95_s", "ttft_p95_s")


def effective_targets(
    phase: Targets, overrides: Mapping[str, Any]
) -> tuple[dict[str, float], list[Override]]:
    """The targets after the scenario's overrides, and each override with its direction."""
    targets = {name: float(getattr(phase, name)) for name in _TARGET_NAMES}
    changed: list[Override] = []
    for name in _TARGET_NAMES:
        if name not in overrides or overrides[name] is None:
            continue
        value = float(overrides[name])
        if value == targets[name]:
            continue
        loosens = value < targets[name] if name == "availability" else value > targets[name]
        changed.append(
            Override(name=name, phase_value=targets[name], scenario_value=value, loosens=loosens)
        )
        targets[name] = value
    return targets, changed


def availability_verdict(
    sli: Sli, target: float, *, overridden: bool = False, look: Look | None = None
) -> TargetVerdict:
    """Pass when the Wilson 95 % interval clears the target, fail when it misses it, else
    inconclusive with the requests that would settle it. An auto run that went on after an
    inconclusive first look (``look``) is judged by both looks (``_second_look``)."""
    valid = sli.good + sli.failure
    base: dict[str, Any] = {
        "name": "availability",
        "title": f"availability ≥ {target * 100:g} %",
        "comparison": ">=",
        "target": target,
        "unit": "ratio",
        "requests": valid,
        "overridden": overridden,
    }
    if valid == 0 or sli.availability is None or sli.availability_interval is None:
        return TargetVerdict(
            **base, value=None, verdict="not_exercised", reason="no valid request was made"
        )
    low, high = sli.availability_interval.low, sli.availability_interval.high
    assert low is not None
    assert high is not None
    if look is not None and look.requests > 0 and high >= target:
        return _second_look(base, sli, target, look)
    if low >= target:
        return TargetVerdict(**base, value=sli.availability, interval=sli.availability_interval,
                             verdict="pass")  # fmt: skip
    if high < target:
        return TargetVerdict(
            **base,
            value=sli.availability,
            interval=sli.availability_interval,
            verdict="fail",
            reason=f"even the interval's upper bound {high * 100:.3f} % misses the target",
        )
    needed = requests_needed_proportion(sli.availability, target, at_least=valid)
    return TargetVerdict(
        **base,
        value=sli.availability,
        interval=sli.availability_interval,
        verdict="inconclusive",
        requests_needed=needed,
        reason=_need_text(needed, valid),
    )


def quantile_verdict(
    *,
    name: str,
    title: str,
    values: Sequence[float],
    q: float,
    target: float,
    missing: str,
    overridden: bool = False,
) -> TargetVerdict:
    """Judge "the ``q`` quantile of ``values`` is at most ``target`` seconds"."""
    ordered = sorted(values)
    base: dict[str, Any] = {
        "name": name,
        "title": title,
        "comparison": "<=",
        "target": target,
        "unit": "s",
        "requests": len(ordered),
        "overridden": overridden,
    }
    if not ordered:
        return TargetVerdict(**base, value=None, verdict="not_exercised", reason=missing)
    low, high = quantile_interval(ordered, q)
    interval = Interval(low=low, high=high, method="order-statistic")
    value = quantile(ordered, q)
    if high is not None and high <= target:
        return TargetVerdict(**base, value=value, interval=interval, verdict="pass")
    if low is not None and low > target:
        return TargetVerdict(
            **base,
            value=value,
            interval=interval,
            verdict="fail",
            reason=f"even the interval's lower bound {low:.3f} s misses the target",
        )
    share = sum(1 for v in ordered if v <= target) / len(ordered)
    needed = requests_needed_quantile(share, q, at_least=len(ordered))
    return TargetVerdict(
        **base,
        value=value,
        interval=interval,
        verdict="inconclusive",
        requests_needed=needed,
        reason=_need_text(needed, len(ordered)),
    )


def _second_look(base: dict[str, Any], sli: Sli, target: float, look: Look) -> TargetVerdict:
    """Auto's second look: a pass when a service exactly at the target would pass at either
    look with probability within ``LOOK_ERROR`` (exact, ``second_look_p``); the interval is
    shown as for any run. (A fail is called as by one look, by the caller.)"""
    valid, failures = sli.good + sli.failure, sli.failure
    chance = second_look_p(look.requests, look.went_on_at_most, valid, failures, target)
    allows = second_look_allows(look.requests, valid, target)
    seen = (
        f"two looks (auto): {look.failures} failure{'s' if look.failures != 1 else ''} "
        f"among {look.requests:,} at the first, {failures} among {valid:,} in all"
    )
    interval = sli.availability_interval
    if chance <= LOOK_ERROR:
        reason = (
            f"{seen}; a service exactly at {target * 100:g} % ends this well with probability "
            f"{chance * 100:.2f} % (at most {LOOK_ERROR * 100:g} %)"
        )
        return TargetVerdict(**base, value=sli.availability, interval=interval,
                             verdict="pass", reason=reason)  # fmt: skip
    needed = requests_needed_proportion(sli.availability or 0.0, target, at_least=valid)
    more = (
        "no number of requests settles it"
        if needed is None
        else (f"a run of one look needs ≥ {needed:,} requests at this availability")
    )
    reason = f"{seen}: the second look passes with at most {allows}; {more}"
    return TargetVerdict(**base, value=sli.availability, interval=interval,
                         verdict="inconclusive", requests_needed=needed,
                         reason=reason)  # fmt: skip


def _need_text(needed: int | None, have: int) -> str:
    if needed is None:
        return "the measured value sits on the target: no number of requests settles it"
    return f"the interval straddles the target: need ≥ {needed:,} requests (have {have:,})"


def check_verdicts(checks: Sequence[Check]) -> list[TargetVerdict]:
    """One pass/fail line per steady-state check (stage and name), over all its runs:
    fail when any run broke it, not exercised when none ran on data, else pass. The reason
    says how many streams cut at a fault's start the checks left out."""
    grouped: dict[tuple[str, str], list[Check]] = {}
    for check in checks:
        grouped.setdefault((check.stage, check.name), []).append(check)
    out: list[TargetVerdict] = []
    for (stage, name), runs in grouped.items():
        ran = [c for c in runs if c.passed is not None]
        broken = [c for c in ran if not c.passed]
        verdict: Verdict = "not_exercised" if not ran else ("fail" if broken else "pass")
        if broken:
            first = broken[0]
            shown = f" (first at +{first.t:.0f} s: {first.value})" if first.value else ""
            reason = f"broken in {len(broken)} of {len(ran)} checks{shown}"
        elif ran:
            last = ran[-1].value
            reason = f"held in {len(ran)} of {len(ran)} checks" + (f" ({last})" if last else "")
        else:
            reason = "never ran on any request"
        cut = sum(c.cut_at_impact for c in ran)
        if cut:
            streams = "stream" if cut == 1 else "streams"
            reason += f"; {cut} {streams} cut at a fault's start left out"
        out.append(
            TargetVerdict(
                name=f"check:{stage}:{name}",
                title=f"steady state {stage}: {name}",
                comparison="==",
                target=1.0,
                value=None if not ran else float(not broken),
                unit="bool",
                verdict=verdict,
                requests=len(ran),
                reason=reason,
            )
        )
    return out


def invalid_reasons(
    run: RunData, windows: Sequence[WindowSli], sli: Sli, checks: Sequence[Check] = ()
) -> list[str]:
    """Why this run cannot be judged (empty: it can)."""
    reasons: list[str] = []
    for check in checks:
        if check.stage == "fault" and check.passed is False:
            evidence = f" ({check.value})" if check.value else ""
            reasons.append(f"a fault did not happen: {check.name} is false{evidence}")
    if not run.finished:
        reasons.append("the run did not finish (no run_end event): it was killed or crashed")
    elif run.end_status in {"failed", "interrupted"}:
        reasons.append(f"the run {run.end_status}: {run.end_reason or 'no reason recorded'}")
    if sli.good + sli.failure == 0:
        reasons.append("no valid request was recorded (load/requests*.jsonl has none)")
    cpu = run.load_stats.cpu_max_percent if run.load_stats else None
    if cpu is not None and cpu >= CPU_LIMIT_PERCENT:
        reasons.append(
            f"the load generator saturated: its CPU peaked at {cpu:.0f} % (limit "
            f"{CPU_LIMIT_PERCENT:.0f} %), so its timings measure itself; add --workers"
        )
    elif run.load_stats is not None and run.load_stats.cpu_warning:
        reasons.append(
            f"the load generator saturated: Locust warned its CPU passed 90 % "
            f"({run.load_stats.cpu_warning}); add --workers"
        )
    reasons.extend(_prometheus_reasons(run.prom, windows, t0=run.start, machine=run.machine))
    return reasons


def _prometheus_reasons(
    prom: PromData | None,
    windows: Sequence[WindowSli],
    *,
    t0: float,
    machine: MachineWait | None = None,
) -> list[str]:
    if prom is None or prom.scrapes is None:
        return []
    summary = prom.scrapes
    missed = [
        (target, expected)
        for target in summary.targets
        if (expected := _expected_scrapes(target, summary)) >= 3
        and target.scrapes < SCRAPE_SHARE * expected
    ]
    # Prometheus missing its own scrapes is a stall of the machine or of Prometheus: one
    # reason for it, and none for a target that missed nothing else
    stalls = [(t, n) for t, n in missed if t.job == "prometheus" and t.gaps]
    reasons = [_stall_reason(t, n, t0=t0, machine=machine) for t, n in stalls]
    gaps = [gap for t, _ in stalls for gap in t.gaps]
    for target, expected in missed:
        if any(target is t for t, _ in stalls) or (
            gaps and target.gaps and _within(target.gaps, gaps, summary)
        ):
            continue
        reasons.append(
            f"Prometheus missed scrapes of {target.instance} ({target.job}): "
            f"{target.scrapes} of {expected} expected"
        )
    for target in summary.targets:
        for t in target.down:
            offset = t - t0
            if offset < 0:  # before the run: the runner's and the load's exporters starting
                continue
            if not any(w.start <= offset <= w.end + DOWN_GRACE_S for w in windows):
                reasons.append(
                    f"{target.instance} ({target.job}) was down at +{offset:.0f} s, outside "
                    f"every fault window"
                )
                break
    return reasons


def _within(
    gaps: Sequence[tuple[float, float]],
    stalls: Sequence[tuple[float, float]],
    summary: ScrapeSummary,
) -> bool:
    """Every one of ``gaps`` overlaps one of ``stalls`` (give or take a scrape interval)."""
    slack = summary.scrape_interval
    return all(any(a < e + slack and s < b + slack for s, e in stalls) for a, b in gaps)


def _expected_scrapes(target: ScrapeTarget, scrapes: ScrapeSummary) -> int:
    interval = scrapes.scrape_interval
    if target.first is not None and target.last is not None and interval > 0:
        # over the span it existed: a target that joined late (a load exporter) is fine
        return round((target.last - target.first) / interval) + 1
    return scrapes.expected


def _stall_reason(
    target: ScrapeTarget, expected: int, *, t0: float, machine: MachineWait | None
) -> str:
    spans = ", ".join(f"+{a - t0:.0f} to +{b - t0:.0f} s" for a, b in target.gaps)
    return (
        f"{STALL_REASON}: Prometheus missed its own scrapes "
        f"({target.scrapes} of {expected} expected; none from {spans}), and with them every "
        f"target's of that span; nothing was measured then{_waits(machine)}: rerun on a "
        f"machine not paused or starved of CPU or disk"
    )


def _waits(machine: MachineWait | None) -> str:
    """What the machine made processes wait for during the run, when the kernel said."""
    if machine is None:
        return ""
    kinds = [("on CPU", machine.cpu_s), ("on disk", machine.io_s), ("on memory", machine.memory_s),
             ("for CPU the hypervisor stole", machine.steal_s)]  # fmt: skip
    known = [f"{seconds:.1f} s {kind}" for kind, seconds in kinds if seconds is not None]
    return (
        f" (during the run the machine kept processes waiting {', '.join(known)})" if known else ""
    )


def status_of(verdicts: Sequence[TargetVerdict], invalid: Sequence[str]) -> Status:
    if invalid:
        return "invalid"
    if any(v.verdict == "fail" for v in verdicts):
        return "breached"
    if any(v.verdict == "inconclusive" for v in verdicts):
        return "inconclusive"
    return "met"


def exit_code(status: Status, *, gate: bool, refused_overrides: bool = False) -> int:
    """0 met (inconclusive too without --gate), 1 breached, 2 refused overrides under
    --gate, 3 inconclusive under --gate, 4 invalid."""
    if status == "invalid":
        return EXIT_INVALID
    if refused_overrides:
        return EXIT_BAD_INPUT
    if status == "breached":
        return EXIT_BREACHED
    if status == "inconclusive" and gate:
        return EXIT_INCONCLUSIVE
    return EXIT_MET
