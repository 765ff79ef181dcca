"""The self-contained HTML report: one file, inline CSS and SVG, no script, no network.

Order: the verdict banner, the hypothesis, the verdict table, the fault windows, the
steady-state checks before / during / after, the plots, the provider view, and the facts to
reproduce the run. ``@media print`` keeps it readable on paper.
"""

from __future__ import annotations

import datetime as dt

import jinja2

from reports.model import Report
from reports.render import format as fmt
from reports.render.cause import (
    COUNT_HEADER,
    EVENT_HEADER,
    SOURCE_HEADER,
    count_rows,
    count_summary,
    event_rows,
    exit_line,
    reproduce_commands,
    source_rows,
)
from reports.render.llm import (
    CHECK_MARK,
    HEADER,
    ITL_NOTE,
    UPSTREAM_HEADER,
    UPSTREAM_NOTE,
    check_value,
    reaction_lines,
    stream_rows,
    upstream_rows,
)
from reports.render.plots import plot_all

__all__ = ["render_html"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("reports.render", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(
    percent=fmt.percent, seconds=fmt.seconds, duration=fmt.duration,
    measured=fmt.measured, interval=fmt.interval, target=fmt.target, load_line=fmt.load_line,
)  # fmt: skip
_ENV.globals["mark"] = fmt.VERDICT_MARK

_HEADLINE = {
    "met": "SLA met",
    "breached": "SLA breached",
    "inconclusive": "Inconclusive",
    "invalid": "Invalid run: no verdict",
}


def _when(t: float) -> str:
    if t <= 0:
        return "—"
    return dt.datetime.fromtimestamp(t, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render_html(report: Report) -> str:
    stages: dict[str, list[object]] = {"before": [], "during": [], "after": []}
    for check in report.checks:
        stages.setdefault(check.stage or "other", []).append(check)
    return _ENV.get_template("report.html.j2").render(
        r=report,
        headline=_HEADLINE[report.status],
        plots=plot_all(report),
        stages=stages,
        started=_when(report.run.t0),
        generated=_when(report.generated_at),
        llm_header=HEADER,
        llm_rows=stream_rows(report),
        llm_note=ITL_NOTE,
        upstream_header=UPSTREAM_HEADER,
        upstream_rows=upstream_rows(report),
        upstream_note=UPSTREAM_NOTE,
        reactions=reaction_lines(report),
        check_mark=CHECK_MARK,
        check_value=check_value,
        exit_line=exit_line(report),
        event_header=EVENT_HEADER,
        event_rows=event_rows(report),
        source_header=SOURCE_HEADER,
        source_rows=source_rows(report),
        count_header=COUNT_HEADER,
        count_rows=count_rows(report),
        count_summary=count_summary(report),
        reproduce=reproduce_commands(report),
    )
