"""Side by side: what each run (phase) bought and what it cost.

``compare_runs(run_dirs)`` builds every run's report (pure, from files) and one row per run:
availability overall and inside the fault windows (pooled), p95 latency, TTFT p95, error
budget used, and the cost (replicas, providers, upstream attempts per request).
``regressions(a, b)`` says where run B is *significantly* worse than run A (their 95 %
intervals do not overlap): the CI check against main's run.
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

__all__ = ["CompareRow", "compare_runs", "regressions", "render_compare_html", "render_compare_md",
           "render_compare_text"]  # fmt: skip


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


def regressions(a: CompareRow, b: CompareRow) -> list[str]:
    """Where ``b`` is worse than ``a`` beyond both runs' 95 % intervals."""
    found: list[str] = []
    ai, bi = a.availability_interval, b.availability_interval
    if ai and bi and ai.low is not None and bi.high is not None and bi.high < ai.low:
        found.append(
            f"availability fell from {percent(a.availability)} to {percent(b.availability)} "
            "(95 % intervals do not overlap)"
        )
    if a.fault_requests and b.fault_requests:
        a_low = wilson(round((a.fault_availability or 0) * a.fault_requests), a.fault_requests)[0]
        b_high = wilson(round((b.fault_availability or 0) * b.fault_requests), b.fault_requests)[1]
        if b_high < a_low:
            found.append(
                f"availability inside the fault windows fell from "
                f"{percent(a.fault_availability)} to {percent(b.fault_availability)}"
            )
    ap, bp = a.p95_interval, b.p95_interval
    if ap and bp and ap.high is not None and bp.low is not None and bp.low > ap.high:
        found.append(f"p95 latency rose from {seconds(a.p95_s)} to {seconds(b.p95_s)}")
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
