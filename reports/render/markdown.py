"""Markdown for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from collections.abc import Sequence

from reports.model import Report
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
from reports.render.format import (
    VERDICT_MARK,
    duration,
    interval,
    load_line,
    measured,
    percent,
    seconds,
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

__all__ = ["render_markdown"]

_BADGE = {
    "met": "✅ SLA met",
    "breached": "❌ SLA breached",
    "inconclusive": "⚠️ inconclusive",
    "invalid": "⛔ invalid run",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    run = report.run
    what = " on ".join(p for p in (run.scenario, run.phase.upper()) if p)
    out = [f"## {_BADGE[report.status]}: {_cell(what)}", ""]
    out.append(f"**{_cell(report.summary)}** ({exit_line(report)})")
    out.append("")
    if run.hypothesis:
        out += [f"> {_cell(run.hypothesis)}", ""]
    if report.invalid_reasons:
        out += ["**No verdict: the run is invalid.**", ""]
        out += [f"- {_cell(r)}" for r in report.invalid_reasons]
        out.append("")
    out += [
        "| target | measured | 95 % interval | verdict | note |",
        "| --- | --- | --- | --- | --- |",
    ]
    for v in report.verdicts:
        note = v.reason
        if v.verdict == "inconclusive" and v.requests_needed is not None:
            note = f"need ≥ {v.requests_needed:,} requests (have {v.requests:,})"
        name = v.title + (" *(override)*" if v.overridden else "")
        out.append(
            f"| {_cell(name)} | {measured(v)} | {interval(v)} | {VERDICT_MARK[v.verdict]} "
            f"| {_cell(note)} |"
        )
    out.append("")
    sli = report.sli
    quantiles = ", ".join(f"{k} {seconds(v)}" for k, v in sli.latency.items())
    out.append(
        f"{sli.requests:,} requests ({sli.good:,} good, {sli.failure:,} failed, "
        f"{sli.excluded:,} excluded) · latency {quantiles} · error budget used "
        f"{percent(report.error_budget_consumed, 0)}"
        + (
            f" · warm-up {report.warmup_requests:,} requests before the start (not counted)"
            if report.warmup_requests
            else ""
        )
    )
    out.append("")
    if report.load is not None:
        out += [_cell(load_line(report.load)), ""]
    if report.windows:
        out += [
            "| fault window | target | availability | failed | impact | mitigation | recovery |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for w in report.windows:
            recovery = duration(w.recovery_s) if w.recovered else "not within the run"
            mitigation = duration(w.mitigation_s)
            if w.mitigation_kind:
                mitigation += f" ({w.mitigation_kind})"
            out.append(
                f"| {w.start:.0f}-{w.end:.0f} s | {_cell(w.target)} {_cell(w.action)} | "
                f"{percent(w.sli.availability)} | {w.sli.failure} | {duration(w.impact_s)} | "
                f"{mitigation} | {recovery} |"
            )
        out.append("")
    out += _table("### Failures by who answered, and cache hits", SOURCE_HEADER,
                  source_rows(report))  # fmt: skip
    out += _table("### Timeline", EVENT_HEADER, event_rows(report))
    if report.server is not None:
        out += ["### Client and service counts", "", _cell(count_summary(report)), ""]
        rows = count_rows(report)
        if rows:
            out += _table("", COUNT_HEADER, rows)
    out += _llm_section(report)
    if report.overrides:
        out.append("**Scenario overrides of the phase's targets:**")
        for o in report.overrides:
            loosens = " (loosens)" if o.loosens else ""
            out.append(f"- {o.name}: {o.phase_value:g} → {o.scenario_value:g}{loosens}")
        out.append("")
    if report.warnings:
        out += [f"- ⚠️ {_cell(w)}" for w in report.warnings]
        out.append("")
    facts = [f"phase {run.phase}", f"backend {run.backend}"]
    if run.seed is not None:
        facts.append(f"seed {run.seed}")
    if run.git_commit:
        facts.append(f"commit `{run.git_commit[:12]}`")
    out.append("<sub>" + " · ".join(facts) + "</sub>")
    out += ["", "```sh", *reproduce_commands(report), "```"]
    return "\n".join(out) + "\n"


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return []
    out = [title, ""] if title else []
    out.append("| " + " | ".join(header) + " |")
    out.append("| " + " | ".join("---" for _ in header) + " |")
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*out, ""]


def _llm_section(report: Report) -> list[str]:
    if report.llm is None:
        return []
    out = ["### LLM stream SLIs", ""]
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("| " + " | ".join("---" for _ in HEADER) + " |")
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in stream_rows(report)]
    out += ["", f"<sub>{ITL_NOTE}</sub>", ""]
    upstream = upstream_rows(report)
    if upstream:
        out += ["#### Upstream cost (the fakes' count)", ""]
        out.append("| " + " | ".join(UPSTREAM_HEADER) + " |")
        out.append("| " + " | ".join("---" for _ in UPSTREAM_HEADER) + " |")
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in upstream]
        out += ["", f"<sub>{UPSTREAM_NOTE}</sub>", ""]
    out += [f"- {_cell(line)}" for line in reaction_lines(report)]
    for c in report.llm.checks:
        note = f" ({_cell(c.reason)})" if c.reason else ""
        out.append(f"- check {_cell(c.title)}: **{CHECK_MARK[c.state]}**, {check_value(c)}{note}")
    out.append("")
    return out
