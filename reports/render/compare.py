"""The phase comparison rendered: terminal, Markdown, HTML (with plots on shared axes).

Every measured value sits beside its target (``2.02 s (≤ 1.50 s)``); every row carries the
"why" naming the deciding number and a link to its run's report; the page opens with the
scenario's hypothesis and what it teaches, and lists the phases skipped for lacking a role.
Plots share their axes across runs (availability 0-100 %, latency from 0 to above the
highest target) and draw each run's target as a dashed line over its bar.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Sequence
from typing import Any

from reports.compare_model import CompareRow, Comparison
from reports.cost import money
from reports.render.format import percent, seconds

__all__ = ["render_compare_html", "render_compare_md", "render_compare_text"]

_COLUMNS = (
    "run",
    "verdict",
    "requests",
    "availability (target)",
    "in faults",
    "p95 (target)",
    "p95 in faults",
    "TTFT p95 (target)",
    "goodput/s",
    "attempts/req (in faults)",
    "replicas",
    "providers",
    "regions",
    "servers",
    "cost/month",
    "next pays off above",
)


def _beside(value: str, target: str) -> str:
    return f"{value} ({target})"


def _cells(row: CompareRow) -> tuple[str, ...]:
    targets = row.targets
    avail_target = targets.get("availability")
    avail = _beside(
        percent(row.availability, 3),
        f"≥ {avail_target * 100:g} %" if avail_target is not None else "—",
    )
    p95 = _beside(seconds(row.p95_s), f"≤ {seconds(targets.get('latency_p95_s'))}")
    ttft = _beside(seconds(row.ttft_p95_s), f"≤ {seconds(targets.get('ttft_p95_s'))}")
    goodput = "—" if row.goodput_rps is None else f"{row.goodput_rps:.1f}"
    attempts = "—" if row.attempts_per_request is None else f"{row.attempts_per_request:.2f}"
    if row.fault_attempts_per_request is not None:
        attempts += f" ({row.fault_attempts_per_request:.2f})"
    if row.pays_off_above_per_hour is not None:
        pays = f"{money(row.pays_off_above_per_hour, row.currency)}/h"
    else:
        pays = "never" if row.pays_off_note else "—"
    return (
        row.label,
        row.status,
        f"{row.requests:,}",
        avail,
        percent(row.fault_availability),
        p95,
        seconds(row.fault_p95_s),
        ttft,
        goodput,
        attempts,
        str(row.replicas),
        str(row.providers),
        str(row.regions),
        str(row.servers),
        money(row.monthly_cost, row.currency),
        pays,
    )


def _preamble(comparison: Comparison, *, skipped: bool = True) -> list[str]:
    lines: list[str] = []
    if comparison.hypothesis:
        lines.append(f"hypothesis: {comparison.hypothesis}")
    if comparison.teaches:
        lines.append(f"teaches: {comparison.teaches}")
    return lines + (comparison.skipped if skipped else [])


def _footer(comparison: Comparison) -> list[str]:
    lines = [
        f"why {r.phase.upper()} {r.status}: {r.why.partition(': ')[2] or r.why}"
        for r in comparison.rows
    ]
    lines += [f"{r.phase.upper()}: {r.pays_off_note}" for r in comparison.rows if r.pays_off_note]
    if comparison.prices:
        lines.append(
            f"cost: illustrative monthly prices from {comparison.prices}; see docs/cost.md"
        )
    return lines


def _table(rows: Sequence[CompareRow]) -> list[str]:
    table = [_COLUMNS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    return ["  ".join(c.ljust(widths[i]) for i, c in enumerate(line)).rstrip() for line in table]


def render_compare_text(comparison: Comparison) -> str:
    """The terminal's table (the CLI prints the skipped phases before anything runs)."""
    return "\n".join(
        [*_preamble(comparison, skipped=False), *_table(comparison.rows), *_footer(comparison)]
    )


def render_compare_md(comparison: Comparison) -> str:
    columns = (*_COLUMNS, "why", "report")
    out = [f"## {comparison.title}", "", *(f"> {line}" for line in _preamble(comparison))]
    out += ["", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in comparison.rows:
        cells = [c.replace("|", "\\|") for c in (*_cells(row), row.why)]
        out.append("| " + " | ".join(cells) + f" | [report]({row.report}) |")
    out += ["", *(f"- {line}" for line in _footer(comparison))]
    if comparison.changes:
        out += ["", "| metric | B against A | A | B |", "| --- | --- | --- | --- |"]
        out += [
            f"| {c.metric} | {c.verdict} | {c.before} | {c.after} |" for c in comparison.changes
        ]
    return "\n".join(out) + "\n"


def _bars(
    axes: Any,
    rows: Sequence[CompareRow],
    value: Callable[[CompareRow], float | None],
    target: Callable[[CompareRow], float | None],
    *,
    colour: str,
) -> None:
    """One bar per run with its own target as a dashed line across it."""
    for position, row in enumerate(rows):
        axes.bar(position, value(row) or 0.0, 0.6, color=colour)
        mark = target(row)
        if mark is not None:
            axes.hlines(
                mark,
                position - 0.4,
                position + 0.4,
                colors="#d62728",
                linestyles="dashed",
                linewidth=1.2,
            )
    axes.set_xticks(list(range(len(rows))), [r.phase.upper() for r in rows])


def _plot(rows: Sequence[CompareRow]) -> str:
    import matplotlib as mpl
    from matplotlib.figure import Figure

    style: Any = {"svg.fonttype": "none", "font.size": 9, "svg.hashsalt": "chaoslab-compare"}
    with mpl.rc_context(style):
        figure = Figure(figsize=(9.0, 3.0), layout="constrained")
        avail, latency, ttft = figure.subplots(1, 3)
        positions = list(range(len(rows)))
        width = 0.4
        avail.bar(
            [p - width / 2 for p in positions],
            [100 * (r.availability or 0) for r in rows],
            width,
            label="whole run",
        )
        avail.bar(
            [p + width / 2 for p in positions],
            [100 * (r.fault_availability or 0) for r in rows],
            width,
            label="in fault windows",
        )
        for position, row in enumerate(rows):
            goal = row.targets.get("availability")
            if goal is not None:
                avail.hlines(
                    100 * goal,
                    position - 0.45,
                    position + 0.45,
                    colors="#d62728",
                    linestyles="dashed",
                    linewidth=1.2,
                )
        avail.set_xticks(positions, [r.phase.upper() for r in rows])
        avail.set_ylim(0, 105)
        avail.set_ylabel("availability %")
        avail.legend(fontsize=7, loc="lower left")
        _bars(
            latency,
            rows,
            lambda r: r.p95_s,
            lambda r: r.targets.get("latency_p95_s"),
            colour="#ff7f0e",
        )
        _bars(
            ttft,
            rows,
            lambda r: r.ttft_p95_s,
            lambda r: r.targets.get("ttft_p95_s"),
            colour="#9467bd",
        )
        top = max(
            [
                0.1,
                *(
                    v
                    for r in rows
                    for v in (
                        r.p95_s,
                        r.ttft_p95_s,
                        r.targets.get("latency_p95_s"),
                        r.targets.get("ttft_p95_s"),
                    )
                    if v
                ),
            ]
        )
        for axes, name in ((latency, "p95 latency, s"), (ttft, "TTFT p95, s")):
            axes.set_ylim(0, top * 1.15)  # one scale for both, targets always in view
            axes.set_ylabel(name)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def render_compare_html(comparison: Comparison) -> str:
    columns = (*_COLUMNS, "why", "report")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = ""
    for row in comparison.rows:
        cells = "".join(f"<td>{html.escape(c)}</td>" for c in (*_cells(row), row.why))
        link = f'<td><a href="{html.escape(row.report)}">report</a></td>'
        body += f'<tr class="{html.escape(row.status)}">{cells}{link}</tr>'
    intro = "".join(f"<p>{html.escape(line)}</p>" for line in _preamble(comparison))
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in _footer(comparison))
    figure = _plot(comparison.rows) if comparison.rows else ""
    changes = ""
    if comparison.changes:
        lines = "".join(
            f'<tr class="{html.escape(c.verdict)}"><td>{html.escape(c.metric)}</td>'
            f"<td>{html.escape(c.verdict)}</td><td>{html.escape(c.before)}</td>"
            f"<td>{html.escape(c.after)}</td></tr>"
            for c in comparison.changes
        )
        changes = (
            "<h2>Run B against run A, beyond both runs' 95 % intervals</h2><table><thead><tr>"
            "<th>metric</th><th>B against A</th><th>A</th><th>B</th></tr></thead>"
            f"<tbody>{lines}</tbody></table>"
        )
    title = html.escape(comparison.title)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>"
        "body{font:14px/1.45 system-ui,sans-serif;max-width:1300px;margin:0 auto;padding:16px}"
        "table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:5px 8px;"
        "text-align:left;border-bottom:1px solid #d0d7de;vertical-align:top}"
        "th{background:#f6f8fa}tr.breached td:nth-child(2){color:#cf222e;font-weight:600}"
        "svg{width:100%;height:auto}"
        f"</style></head><body><h1>{title}</h1>{intro}"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<ul>{notes}</ul>{changes}"
        f"<figure>{figure}<figcaption>Availability (whole run and inside fault windows), p95 "
        "latency and TTFT p95 per run, on shared axes; dashed red: each run's target."
        "</figcaption></figure></body></html>\n"
    )
