"""Side by side: what each run (phase) bought, what it cost, and why each verdict is what it is.

``compare_runs(run_dirs, prices=...)`` builds every run's report (pure, from files) and one
row per run: each target beside its measured value, a "why" naming the deciding number,
availability and p95 overall and inside the fault windows (pooled), goodput, upstream
attempts, the units counted from ``stack.json`` (V4: 4 replicas), the monthly cost and the
hourly downtime cost at which it pays for itself against the row before, and a link to the
run's report. ``comparison(...)`` wraps the rows with the scenario's hypothesis and what it
teaches, and the phases skipped for lacking a role. ``judge(a, b)`` names each metric of run
B against run A (availability, p95 latency, TTFT p95, upstream attempts per request)
improved, regressed or unchanged: changed only when the two runs' 95 % intervals do not
overlap (attempts per request, which has no interval: when it moved by more than 10 % and
0.05). ``regressions(a, b)`` lists the regressed ones: the CI check against main's run.
The renderings are in ``reports.render.compare``, the types in ``reports.compare_model``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from reports.build import build_report
from reports.compare_model import CompareRow, Comparison, MetricChange
from reports.cost import Prices, break_even_hourly, downtime_hours_per_year, phase_cost, units_of
from reports.model import Interval, Report, TargetVerdict
from reports.render.compare import render_compare_html, render_compare_md, render_compare_text
from reports.render.format import measured, percent, seconds
from reports.render.format import target as target_text
from reports.rundata import RunData, load_run
from reports.stats import quantile, quantile_interval, wilson
from rundir.layout import REPORT_FILES, SCENARIO_FILE

__all__ = [
    "CompareRow",
    "Comparison",
    "MetricChange",
    "compare_runs",
    "comparison",
    "judge",
    "regressions",
    "render_compare_html",
    "render_compare_md",
    "render_compare_text",
    "why",
]

_LABELS = {"availability": "availability", "latency_p95": "p95 latency", "ttft_p95": "TTFT p95"}


def _label(verdict: TargetVerdict) -> str:
    return _LABELS.get(verdict.name, verdict.title)


def why(report: Report) -> str:
    """The number that decided the verdict, measured beside its target."""
    if report.status == "invalid":
        return "invalid: " + (report.invalid_reasons[0] if report.invalid_reasons else "?")
    main = [v for v in report.verdicts if v.name in _LABELS]
    failing = [v for v in main if v.verdict == "fail"]
    steady = [
        v.title.split(":")[0].removeprefix("steady state ")
        for v in report.verdicts
        if v.verdict == "fail" and v.name not in _LABELS
    ]
    checks = [c for c in (report.llm.checks if report.llm else []) if c.state == "fail"]
    if failing or steady or checks:
        parts = [
            f"{_label(v)} {measured(v)} {'<' if v.comparison == '>=' else '>'} target "
            f"{target_text(v)}"
            for v in failing
        ]
        if steady:
            parts.append(f"steady state broken ({', '.join(steady)})")
        seen: set[str] = set()
        for check in checks:
            if check.name not in seen:
                seen.add(check.name)
                parts.append(f"{check.title}: {check.reason}" if check.reason else check.title)
        return "breached: " + "; ".join(parts)
    unsure = [v for v in main if v.verdict == "inconclusive"]
    if unsure:
        return "inconclusive: " + "; ".join(
            f"{_label(v)} {measured(v)} vs target {target_text(v)} ({v.reason})" for v in unsure
        )
    held = [f"{_label(v)} {measured(v)} ({target_text(v)})" for v in main if v.verdict == "pass"]
    return "met: " + ", ".join(held) if held else "met"


def _fault_spans(run: RunData) -> list[tuple[float, float]]:
    return [(f.start, f.end) for f in run.faults]


def _row(run: RunData, report: Report, prices: Prices | None) -> CompareRow:
    spans = _fault_spans(run)
    inside = [r for r in run.requests if any(a <= r.t < b for a, b in spans)]
    inside_good = [r for r in inside if r.outcome == "good"]
    inside_valid = [r for r in inside if r.outcome != "excluded"]
    fault_p95 = quantile(sorted(r.latency_s for r in inside_good), 0.95) if inside_good else None
    latency = next(v for v in report.verdicts if v.name == "latency_p95")
    upstream = report.llm.upstream if report.llm else []
    whole = next((u for u in upstream if u.window is None), None)
    in_faults = [u for u in upstream if u.window not in (None, "steady")]
    reached = sum(u.reached for u in in_faults)
    attempts = whole.attempts_per_request if whole else report.attempts_per_request
    ttfts = sorted(
        r.ttft_s for r in run.run_requests if r.outcome == "good" and r.ttft_s is not None
    )
    p99_low, p99_high = quantile_interval(ttfts, 0.99)
    units = units_of(run.stack)
    cost = phase_cost(run.stack, prices) if prices else None
    duration = run.duration
    return CompareRow(
        label=f"{run.stack.phase.upper()} · {Path(run.run_dir).name}",
        run_dir=run.run_dir,
        report=str(Path(run.run_dir) / REPORT_FILES["html"]),
        phase=run.stack.phase,
        scenario=report.run.scenario,
        status=report.status,
        why=why(report),
        requests=report.sli.requests,
        targets=dict(report.targets),
        verdicts=[v for v in report.verdicts if v.name in _LABELS],
        availability=report.sli.availability,
        availability_interval=report.sli.availability_interval,
        fault_availability=(
            sum(r.outcome == "good" for r in inside_valid) / len(inside_valid)
            if inside_valid
            else None
        ),
        fault_requests=len(inside_valid),
        p95_s=report.sli.latency.get("p95"),
        p95_interval=latency.interval,
        fault_p95_s=fault_p95,
        ttft_p95_s=report.sli.ttft.get("p95"),
        ttft_p95_interval=next(v for v in report.verdicts if v.name == "ttft_p95").interval,
        ttft_p99_s=quantile(ttfts, 0.99) if ttfts else None,
        ttft_p99_interval=Interval(low=p99_low, high=p99_high, method="order-statistic")
        if ttfts
        else None,
        goodput_rps=report.sli.good / duration if duration else None,
        error_budget_consumed=report.error_budget_consumed,
        attempts_per_request=attempts,
        fault_attempts_per_request=(
            sum(u.attempts for u in in_faults) / reached if reached else None
        ),
        replicas=units["replica"],
        providers=units["provider"],
        regions=units["region"],
        servers=sum(units[k] for k in ("replica", "load_balancer", "cache", "database", "standby")),
        units=units,
        monthly_cost=cost.monthly if cost else None,
        currency=cost.currency if cost else "USD",
        downtime_hours_per_year=downtime_hours_per_year(report.sli.availability),
    )


def _pays_off(rows: list[CompareRow]) -> list[CompareRow]:
    """Each row's break-even against the row before (rows in phase order)."""
    out: list[CompareRow] = []
    for index, row in enumerate(rows):
        if index == 0 or row.monthly_cost is None or rows[index - 1].monthly_cost is None:
            out.append(row)
            continue
        before = rows[index - 1]
        assert before.monthly_cost is not None
        even = break_even_hourly(
            (before.monthly_cost, before.availability), (row.monthly_cost, row.availability)
        )
        note = (
            ""
            if even is not None
            else (f"never against {before.phase.upper()}: no less downtime measured")
        )
        out.append(msgspec.structs.replace(row, pays_off_above_per_hour=even, pays_off_note=note))
    return out


def compare_runs(run_dirs: Sequence[Path], *, prices: Prices | None = None) -> list[CompareRow]:
    """One row per run directory, in the given order (``RunDirError`` on a bad one)."""
    rows: list[CompareRow] = []
    for run_dir in run_dirs:
        run = load_run(Path(run_dir))
        rows.append(_row(run, build_report(run), prices))
    return _pays_off(rows)


def _scenario_text(run_dir: str) -> tuple[str, str]:
    """The hypothesis and what it teaches, from the scenario file the run copied."""
    try:
        data = tomllib.loads((Path(run_dir) / SCENARIO_FILE).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return "", ""
    return str(data.get("hypothesis", "")), str(data.get("teaches", ""))


def comparison(
    rows: list[CompareRow],
    *,
    title: str,
    skipped: Sequence[str] = (),
    prices: Prices | None = None,
    changes: Sequence[MetricChange] = (),
) -> Comparison:
    hypothesis, teaches = _scenario_text(rows[0].run_dir) if rows else ("", "")
    where = ""
    if prices is not None:
        where = f"{prices.path or 'lab/prices.toml'} ({prices.date})"
    return Comparison(
        title=title,
        scenario=rows[0].scenario if rows else "",
        hypothesis=hypothesis,
        teaches=teaches,
        rows=rows,
        skipped=list(skipped),
        prices=where,
        changes=list(changes),
    )


def _ratio_change(a: Interval | None, b: Interval | None, *, higher_is_better: bool) -> str:
    """B against A by their intervals: beyond both when they do not overlap. Separation
    needs only the two facing bounds (A's high and B's low for a rise): a tail quantile of a
    short run has a low bound and no high one (too few samples above it), and a fall below
    that low bound is still a fall. ``unchanged`` needs all four bounds."""
    if a is None or b is None:
        return "not comparable"
    a_low, a_high, b_low, b_high = a.low, a.high, b.low, b.high
    if b_low is not None and a_high is not None and b_low > a_high:
        return "improved" if higher_is_better else "regressed"
    if b_high is not None and a_low is not None and b_high < a_low:
        return "regressed" if higher_is_better else "improved"
    if a_low is None or a_high is None or b_low is None or b_high is None:
        return "not comparable"
    return "unchanged"


def _shown(value: str, interval: Interval | None, fmt: Any) -> str:
    if interval is None or (interval.low is None and interval.high is None):
        return value
    low = "—" if interval.low is None else fmt(interval.low)
    high = "—" if interval.high is None else fmt(interval.high)
    return f"{value} [{low}, {high}]"


def _change(
    metric: str,
    before: tuple[float | None, Interval | None],
    after: tuple[float | None, Interval | None],
    fmt: Any,
    *,
    higher_is_better: bool,
) -> MetricChange:
    """One metric of run B against run A: each side a (value, 95 % interval)."""
    return MetricChange(
        metric=metric,
        verdict=_ratio_change(before[1], after[1], higher_is_better=higher_is_better),
        before=_shown(fmt(before[0]), before[1], fmt),
        after=_shown(fmt(after[0]), after[1], fmt),
    )


def judge(a: CompareRow, b: CompareRow) -> list[MetricChange]:
    """Each metric of ``b`` against ``a``, beyond both runs' 95 % intervals."""
    out = [
        _change("availability", (a.availability, a.availability_interval),
                (b.availability, b.availability_interval), percent, higher_is_better=True),
        _change("p95 latency", (a.p95_s, a.p95_interval), (b.p95_s, b.p95_interval), seconds,
                higher_is_better=False),
        _change("TTFT p95", (a.ttft_p95_s, a.ttft_p95_interval),
                (b.ttft_p95_s, b.ttft_p95_interval), seconds, higher_is_better=False),
        _change("TTFT p99", (a.ttft_p99_s, a.ttft_p99_interval),
                (b.ttft_p99_s, b.ttft_p99_interval), seconds, higher_is_better=False),
    ]  # fmt: skip
    x, y = a.attempts_per_request, b.attempts_per_request
    if x is None or y is None:
        verdict = "not comparable"
    elif abs(y - x) > max(0.1 * x, 0.05):
        verdict = "regressed" if y > x else "improved"
    else:
        verdict = "unchanged"
    out.append(
        MetricChange(
            metric="attempts per request",
            verdict=verdict,
            before="—" if x is None else f"{x:.2f}",
            after="—" if y is None else f"{y:.2f}",
        )
    )
    return out


def regressions(a: CompareRow, b: CompareRow) -> list[str]:
    """Where ``b`` is worse than ``a`` beyond both runs' 95 % intervals."""
    found = [
        f"{c.metric} regressed from {c.before} to {c.after}"
        for c in judge(a, b)
        if c.verdict == "regressed"
    ]
    if a.fault_requests and b.fault_requests:
        a_low = wilson(round((a.fault_availability or 0) * a.fault_requests), a.fault_requests)[0]
        b_high = wilson(round((b.fault_availability or 0) * b.fault_requests), b.fault_requests)[1]
        if b_high < a_low:
            found.append(
                f"availability inside the fault windows fell from "
                f"{percent(a.fault_availability)} to {percent(b.fault_availability)}"
            )
    if a.status == "met" and b.status == "breached":
        found.append("the SLA was met before and is breached now")
    return found
