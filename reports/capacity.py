"""This machine's capacity under a phase's SLA: offered rate, step by step, to the knee.

``chaoslab capacity`` leaves, per phase, a campaign directory::

    OUT/<phase>/capacity-plan.json   the steps run: offered rate and run directory each
    OUT/<phase>/step-<n>/            one run directory per step (report.html inside)

``build_capacity(phase_dir)`` reads those files only. A step **passes** when no target is
breached (inconclusive is not a breach); the **knee** is the interval [last passing rate,
first breached rate]; **what broke first** is the first breached step's failing targets,
measured beside the target. A step the report calls invalid says nothing about the phase
(often the load generator itself could not keep up on two cores): it is left out of the
knee, and the search looks below it.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from reports.build import build_report
from reports.cost import PhaseCost, Prices, phase_cost
from reports.render.format import measured, percent, seconds
from reports.render.format import target as target_text
from reports.rundata import load_run
from rundir import RunDirError, read_stack

__all__ = [
    "PLAN_FILE",
    "SEED_USERS",
    "CapacityPlan",
    "CapacityResult",
    "PlannedStep",
    "Step",
    "build_capacity",
    "render_capacity_html",
    "render_capacity_md",
    "render_capacity_text",
]

PLAN_FILE = "capacity-plan.json"
_LABELS = {"availability": "availability", "latency_p95": "p95 latency", "ttft_p95": "TTFT p95"}
SEED_USERS = {"v1": "< 100", "v2": "100-1K", "v3": "1K-10K", "v4": "10K+"}
"""The seed's concurrent users per phase card."""
WHY = (
    "This is THIS machine's capacity: two cores shared by the load generator, every replica "
    "and the fake providers. More replicas add no CPU here, so no order between the phases "
    "is promised; the seed's user bands are what each phase is built for on real hardware."
)


class PlannedStep(msgspec.Struct, frozen=True, kw_only=True):
    rate: float
    run_dir: str
    """Relative to the phase's campaign directory."""
    error: str = ""


class CapacityPlan(msgspec.Struct, kw_only=True):
    phase: str
    step_s: float
    budget_s: float
    steps: list[PlannedStep] = msgspec.field(default_factory=list)
    stopped: str = ""
    """Why the search ended before a breach (time bound, highest rate), one line."""


class Step(msgspec.Struct, frozen=True, kw_only=True):
    rate: float
    achieved_rate: float | None
    requests: int
    availability: float | None
    p95_s: float | None
    ttft_p95_s: float | None
    status: str
    """met, breached, inconclusive or invalid."""
    breached: list[str]
    """The failing targets, measured beside the target."""
    run_dir: str
    note: str = ""


class CapacityResult(msgspec.Struct, frozen=True, kw_only=True):
    phase: str
    phase_title: str
    targets: dict[str, float]
    seed_users: str
    steps: list[Step]
    last_pass: float | None
    first_breach: float | None
    broke_first: list[str]
    conclusion: str
    """One line: the knee, or why the search found none."""
    cost: PhaseCost | None
    why: str = WHY


def _step(phase_dir: Path, planned: PlannedStep) -> Step:
    where = str(phase_dir / planned.run_dir)
    if planned.error:
        return Step(
            rate=planned.rate,
            achieved_rate=None,
            requests=0,
            availability=None,
            p95_s=None,
            ttft_p95_s=None,
            status="invalid",
            breached=[],
            run_dir=where,
            note=planned.error,
        )
    report = build_report(load_run(phase_dir / planned.run_dir))
    reasons = sorted(report.sli.failure_reasons.items(), key=lambda item: -item[1])[:3]
    causes = ", ".join(f"{name} {count}" for name, count in reasons)
    failing = [
        f"{_LABELS.get(v.name, v.title)} {measured(v)} (target {target_text(v)})"
        + (f", failures: {causes}" if v.name == "availability" and causes else "")
        for v in report.verdicts
        if v.verdict == "fail" and v.name in _LABELS
    ]
    duration = report.run.duration_s or 0.0
    return Step(
        rate=planned.rate,
        achieved_rate=report.sli.requests / duration if duration else None,
        requests=report.sli.requests,
        availability=report.sli.availability,
        p95_s=report.sli.latency.get("p95"),
        ttft_p95_s=report.sli.ttft.get("p95"),
        status=report.status,
        breached=failing,
        run_dir=where,
        note=report.invalid_reasons[0]
        if report.status == "invalid" and report.invalid_reasons
        else "",
    )


def build_capacity(phase_dir: Path, *, prices: Prices | None = None) -> CapacityResult:
    """The curve and the knee of one phase (``RunDirError`` when it is no campaign)."""
    path = phase_dir / PLAN_FILE
    try:
        plan = msgspec.json.decode(path.read_bytes(), type=CapacityPlan)
    except FileNotFoundError:
        raise RunDirError(f"{path}: no capacity search here; run `chaoslab capacity`") from None
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise RunDirError(f"{path}: {error}") from None
    steps = sorted((_step(phase_dir, s) for s in plan.steps), key=lambda s: s.rate)
    stack = None
    for planned in plan.steps:
        try:
            stack = read_stack(phase_dir / planned.run_dir)
            break
        except RunDirError:
            continue
    breached = [s for s in steps if s.status == "breached"]
    first_breach = breached[0].rate if breached else None
    passing = [
        s
        for s in steps
        if s.status in ("met", "inconclusive") and (first_breach is None or s.rate < first_breach)
    ]
    last_pass = passing[-1].rate if passing else None
    if first_breach is not None:
        low = f"{last_pass:g}" if last_pass is not None else "below the first step"
        conclusion = (
            f"knee between {low} and {first_breach:g} requests/s "
            f"(last passing step, first breached step)"
        )
    else:
        highest = f"{last_pass:g} requests/s" if last_pass is not None else "no step"
        conclusion = (
            f"not broken within the bound: passed up to {highest}"
            f"{'; ' + plan.stopped if plan.stopped else ''}"
        )
    return CapacityResult(
        phase=plan.phase,
        phase_title=stack.phase_title if stack else plan.phase,
        targets=dict(msgspec.structs.asdict(stack.targets)) if stack else {},
        seed_users=SEED_USERS.get(plan.phase, "—"),
        steps=steps,
        last_pass=last_pass,
        first_breach=first_breach,
        broke_first=breached[0].breached if breached else [],
        conclusion=conclusion,
        cost=phase_cost(stack, prices) if stack and prices else None,
    )


_COLUMNS = (
    "offered/s",
    "achieved/s",
    "requests",
    "availability",
    "p95",
    "TTFT p95",
    "verdict",
    "breached",
)


def _cells(step: Step) -> tuple[str, ...]:
    achieved = "—" if step.achieved_rate is None else f"{step.achieved_rate:.1f}"
    return (
        f"{step.rate:g}",
        achieved,
        str(step.requests),
        percent(step.availability),
        seconds(step.p95_s),
        seconds(step.ttft_p95_s),
        step.status,
        "; ".join(step.breached) or step.note,
    )


def _headline(result: CapacityResult) -> list[str]:
    lines = [f"{result.phase.upper()} ({result.phase_title}): {result.conclusion}"]
    if result.broke_first:
        lines.append(f"broke first: {'; '.join(result.broke_first)}")
    lines.append(
        f"the seed's band for {result.phase.upper()}: {result.seed_users} concurrent users"
    )
    if result.cost is not None:
        lines.append(f"cost: ${result.cost.monthly:,.0f}/month")
    return lines


def render_capacity_text(results: Sequence[CapacityResult]) -> str:
    out: list[str] = []
    for result in results:
        table = [_COLUMNS, *(_cells(s) for s in result.steps)]
        widths = [max(len(row[i]) for row in table) for i in range(len(_COLUMNS))]
        out += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in table]
        out += [*_headline(result), ""]
    return "\n".join([*out, WHY])


def render_capacity_md(results: Sequence[CapacityResult]) -> str:
    out = ["# Capacity under the SLA (this machine)", "", WHY, ""]
    for result in results:
        out += [f"## {result.phase_title}", "", *(f"- {line}" for line in _headline(result)), ""]
        out += ["| " + " | ".join(_COLUMNS) + " | run |", "|" + " --- |" * (len(_COLUMNS) + 1)]
        for step in result.steps:
            cells = " | ".join(c.replace("|", "\\|") for c in _cells(step))
            out.append(f"| {cells} | [report]({step.run_dir}/report.html) |")
        out.append("")
    return "\n".join(out)


def _plot(results: Sequence[CapacityResult]) -> str:
    import matplotlib as mpl
    from matplotlib.figure import Figure

    style: Any = {"svg.fonttype": "none", "font.size": 9, "svg.hashsalt": "chaoslab-capacity"}
    with mpl.rc_context(style):
        figure = Figure(figsize=(9.0, 3.0), layout="constrained")
        p95_axes, ttft_axes, avail_axes = figure.subplots(1, 3, sharex=True)
        for result in results:
            rates = [s.rate for s in result.steps]
            label = result.phase.upper()
            p95_axes.plot(rates, [s.p95_s for s in result.steps], marker="o", label=label)
            ttft_axes.plot(rates, [s.ttft_p95_s for s in result.steps], marker="o", label=label)
            avail_axes.plot(
                rates, [100 * (s.availability or 0) for s in result.steps], marker="o", label=label
            )
            for axes, key, scale in (
                (p95_axes, "latency_p95_s", 1.0),
                (ttft_axes, "ttft_p95_s", 1.0),
                (avail_axes, "availability", 100.0),
            ):
                if key in result.targets:
                    axes.axhline(
                        result.targets[key] * scale,
                        linestyle="--",
                        linewidth=0.8,
                        color=axes.lines[-1].get_color(),
                    )
        for axes, title in (
            (p95_axes, "p95 latency, s"),
            (ttft_axes, "TTFT p95, s"),
            (avail_axes, "availability %"),
        ):
            axes.set_xscale("log", base=2)
            axes.set_xlabel("offered requests/s")
            axes.set_title(title)
        avail_axes.legend(fontsize=7)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def render_capacity_html(results: Sequence[CapacityResult]) -> str:
    parts: list[str] = []
    for result in results:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in (*_COLUMNS, "run"))
        rows = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(s))
            + f'<td><a href="{html.escape(s.run_dir)}/report.html">report</a></td></tr>'
            for s in result.steps
        )
        items = "".join(f"<li>{html.escape(line)}</li>" for line in _headline(result))
        table = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        parts.append(f"<h2>{html.escape(result.phase_title)}</h2><ul>{items}</ul>{table}")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Capacity under the SLA</title><style>body{font:14px/1.45 system-ui,sans-serif;"
        "max-width:1100px;margin:0 auto;padding:16px}table{border-collapse:collapse;width:100%}"
        "th,td{padding:5px 8px;text-align:left;border-bottom:1px solid #d0d7de}"
        "th{background:#f6f8fa}svg{width:100%;height:auto}</style></head><body>"
        f"<h1>Capacity under the SLA (this machine)</h1><p>{html.escape(WHY)}</p>"
        f"<figure>{_plot(results)}<figcaption>Offered rate (log scale) against p95 latency, "
        "TTFT p95 and availability; dashed: each phase's target.</figcaption></figure>"
        f"{''.join(parts)}</body></html>\n"
    )
