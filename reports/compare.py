"""Side by side: what each run (phase) bought and what it cost.

``compare_runs(run_dirs)`` builds every run's report (pure, from files) and one row per run:
availability overall and inside the fault windows (pooled), p95 latency, TTFT p95, error
budget used, and the cost (replicas, providers, upstream attempts per request).
``judge(a, b)`` names each metric of run B against run A (availability, p95 latency, TTFT
p95, upstream attempts per request) improved, regressed or unchanged: changed only when the
two runs' 95 % intervals do not overlap (attempts per request, which has no interval: when
it moved by more than 10 % and 0.05). ``regressions(a, b)`` lists the regressed ones: the CI
check against main's run.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
from matplotlib.figure import Figure

from reports.build import build_report
from reports.model import Interval, Report
from reports.render.format import percent, seconds
from reports.rundata import RunData, load_run
from reports.stats import wilson

__all__ = ["CompareRow", "MetricChange", "compare_runs", "judge", "regressions",
           "render_compare_html", "render_compare_md", "render_compare_text"]  # fmt: skip


class CompareRow(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    run_dir: str
    phase: str
    scenario: str
    status: str
    requests: int
    availability: float | None
    availability_interval: Interval | None
    fault_availability: float | None
    """Good / valid over every request sent inside a fault window."""
    fault_requests: int
    p95_s: float | None
    p95_interval: Interval | None
    ttft_p95_s: float | None
    ttft_p95_interval: Interval | None = None
    error_budget_consumed: float | None
    replicas: int
    providers: int
    attempts_per_request: float | None


def _row(run: RunData, report: Report) -> CompareRow:
    inside_good = sum(w.sli.good for w in report.windows)
    inside_valid = sum(w.sli.good + w.sli.failure for w in report.windows)
    config = run.stack.phase_config
    replicas = config.get("replicas")
    providers = config.get("providers")
    latency = next(v for v in report.verdicts if v.name == "latency_p95")
    ttft = next(v for v in report.verdicts if v.name == "ttft_p95")
    return CompareRow(
        label=f"{run.stack.phase.upper()} · {Path(run.run_dir).name}",
        run_dir=run.run_dir,
        phase=run.stack.phase,
        scenario=report.run.scenario,
        status=report.status,
        requests=report.sli.requests,
        availability=report.sli.availability,
        availability_interval=report.sli.availability_interval,
        fault_availability=inside_good / inside_valid if inside_valid else None,
        fault_requests=inside_valid,
        p95_s=report.sli.latency.get("p95"),
        p95_interval=latency.interval,
        ttft_p95_s=report.sli.ttft.get("p95"),
        ttft_p95_interval=ttft.interval,
        error_budget_consumed=report.error_budget_consumed,
        replicas=replicas if isinstance(replicas, int) else len(run.stack.of_kind("replica")),
        providers=len(providers)
        if isinstance(providers, list)
        else len(run.stack.of_kind("provider")),
        attempts_per_request=report.attempts_per_request,
    )


def compare_runs(run_dirs: Sequence[Path]) -> list[CompareRow]:
    """One row per run directory, in the given order (``RunDirError`` on a bad one)."""
    rows: list[CompareRow] = []
    for run_dir in run_dirs:
        run = load_run(Path(run_dir))
        rows.append(_row(run, build_report(run)))
    return rows


class MetricChange(msgspec.Struct, frozen=True, kw_only=True):
    """One metric of run B against run A."""

    metric: str
    verdict: str
    """``improved``, ``regressed``, ``unchanged`` or ``not comparable`` (a side lacks it)."""
    before: str
    after: str


def _ratio_change(a: Interval | None, b: Interval | None, *, higher_is_better: bool) -> str:
    if a is None or b is None:
        return "not comparable"
    a_low, a_high, b_low, b_high = a.low, a.high, b.low, b.high
    if a_low is None or a_high is None or b_low is None or b_high is None:
        return "not comparable"
    if b_low > a_high:
        return "improved" if higher_is_better else "regressed"
    if b_high < a_low:
        return "regressed" if higher_is_better else "improved"
    return "unchanged"


def _shown(value: str, interval: Interval | None, fmt: Any) -> str:
    if interval is None or interval.low is None or interval.high is None:
        return value
    return f"{value} [{fmt(interval.low)}, {fmt(interval.high)}]"


def judge(a: CompareRow, b: CompareRow) -> list[MetricChange]:
    """Each metric of ``b`` against ``a``, beyond both runs' 95 % intervals."""
    out = [
        MetricChange(
            metric="availability",
            verdict=_ratio_change(a.availability_interval, b.availability_interval,
                                  higher_is_better=True),
            before=_shown(percent(a.availability), a.availability_interval, percent),
            after=_shown(percent(b.availability), b.availability_interval, percent),
        ),
        MetricChange(
            metric="p95 latency",
            verdict=_ratio_change(a.p95_interval, b.p95_interval, higher_is_better=False),
            before=_shown(seconds(a.p95_s), a.p95_interval, seconds),
            after=_shown(seconds(b.p95_s), b.p95_interval, seconds),
        ),
        MetricChange(
            metric="TTFT p95",
            verdict=_ratio_change(a.ttft_p95_interval, b.ttft_p95_interval,
                                  higher_is_better=False),
            before=_shown(seconds(a.ttft_p95_s), a.ttft_p95_interval, seconds),
            after=_shown(seconds(b.ttft_p95_s), b.ttft_p95_interval, seconds),
        ),
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


_COLUMNS = ("run", "verdict", "requests", "availability", "in faults", "p95", "TTFT p95",
            "budget used", "replicas", "providers", "attempts/req")  # fmt: skip


def _cells(row: CompareRow) -> tuple[str, ...]:
    attempts = "—" if row.attempts_per_request is None else f"{row.attempts_per_request:.2f}"
    return (row.label, row.status, f"{row.requests:,}", percent(row.availability),
            percent(row.fault_availability), seconds(row.p95_s), seconds(row.ttft_p95_s),
            percent(row.error_budget_consumed, 0), str(row.replicas), str(row.providers),
            attempts)  # fmt: skip


def render_compare_text(rows: Sequence[CompareRow]) -> str:
    table = [_COLUMNS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in table
    )


def render_compare_md(rows: Sequence[CompareRow], *, title: str) -> str:
    out = [f"## {title}", "", "| " + " | ".join(_COLUMNS) + " |",
           "| " + " | ".join("---" for _ in _COLUMNS) + " |"]  # fmt: skip
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(r)) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _plot(rows: Sequence[CompareRow]) -> str:
    style: Any = {"svg.fonttype": "none", "font.size": 9, "svg.hashsalt": "chaoslab-compare"}
    import matplotlib as mpl

    with mpl.rc_context(style):
        figure = Figure(figsize=(8.0, 3.0), layout="constrained")
        left, right = figure.subplots(1, 2)
        names = [r.phase.upper() for r in rows]
        positions = list(range(len(rows)))
        width = 0.4
        overall = [100 * (r.availability or 0) for r in rows]
        inside = [100 * (r.fault_availability or 0) for r in rows]
        left.bar([p - width / 2 for p in positions], overall, width, label="whole run")
        left.bar([p + width / 2 for p in positions], inside, width, label="in fault windows")
        left.set_xticks(positions, names)
        left.set_ylabel("availability %")
        left.legend(fontsize=7)
        right.bar(positions, [r.p95_s or 0 for r in rows], 0.6, color="#ff7f0e")
        right.set_xticks(positions, names)
        right.set_ylabel("p95 latency, s")
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def render_compare_html(rows: Sequence[CompareRow], *, title: str) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(r)) + "</tr>" for r in rows
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:0 auto;padding:16px}"
        "table{border-collapse:collapse;width:100%}th,td{padding:5px 8px;text-align:left;"
        "border-bottom:1px solid #d0d7de}th{background:#f6f8fa}svg{width:100%;height:auto}"
        f"</style></head><body><h1>{html.escape(title)}</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<figure>{_plot(rows)}<figcaption>Availability (whole run and inside fault windows) "
        "and p95 latency per run.</figcaption></figure></body></html>\n"
    )
