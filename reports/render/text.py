"""The terminal summary ``chaoslab report`` and ``chaoslab run`` print: the answer first."""

from __future__ import annotations

from reports.model import Report
from reports.render.cause import count_summary, event_rows, exit_line, source_rows
from reports.render.format import VERDICT_MARK, duration, interval, load_line, measured, percent
from reports.render.llm import CHECK_MARK, check_value, reaction_lines, stream_rows, upstream_rows

__all__ = ["render_text"]


def render_text(report: Report) -> str:
    run = report.run
    what = " on ".join(p for p in (run.scenario, run.phase.upper()) if p)
    lines = [
        f"{what} · {run.duration_s:.0f} s · {report.sli.requests:,} requests"
        + (f" · seed {run.seed}" if run.seed is not None else "")
        + f" · {report.status.upper()} · {exit_line(report)}"
    ]
    if report.warmup_requests:
        lines.append(f"warm-up: {report.warmup_requests:,} requests before the start (not counted)")
    if run.hypothesis:
        lines.append(f"hypothesis: {run.hypothesis}")
    lines.append("")
    if report.invalid_reasons:
        lines.append("INVALID RUN: no verdict")
        lines.extend(f"  - {reason}" for reason in report.invalid_reasons)
    else:
        rows = [("target", "measured", "95 % interval", "verdict")]
        for v in report.verdicts:
            mark = VERDICT_MARK[v.verdict]
            if v.verdict == "inconclusive" and v.requests_needed is not None:
                mark += f" · need ≥ {v.requests_needed:,} requests"
            elif v.verdict in {"fail", "not_exercised"} and v.reason:
                mark += f" · {v.reason}"
            elif v.reason and (v.name == "availability" or "left out" in v.reason):
                mark += f" · {v.reason}"  # a pass by two looks; a check that left streams out
            name = v.title + (" (override)" if v.overridden else "")
            rows.append((name, measured(v), interval(v), mark))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(3)]
            lines.append("  " + "   ".join([*cells, row[3]]).rstrip())
    lines.append("")
    for w in report.windows:
        lines.append(
            f"  fault window {w.start:.0f}-{w.end:.0f} s ({w.target} {w.action}): "
            f"availability {percent(w.sli.availability)}, {w.sli.failure} failed, "
            f"impact {_after(w.impact_s)}, mitigation {_after(w.mitigation_s)}, "
            f"recovered {_after(w.recovery_s) + ' after end' if w.recovered else 'never'}"
        )
    for span, failed, sources, hits in source_rows(report):
        lines.append(f"  {span}: {failed} failed ({sources}); cache hits {hits}")
    facts = [f"error budget used: {percent(report.error_budget_consumed, 0)}"]
    if report.attempts_per_request is not None:
        facts.append(f"upstream attempts per request: {report.attempts_per_request:.2f}")
    if report.server is not None and report.server.availability is not None:
        facts.append(f"service's own count: {percent(report.server.availability)}")
    lines.append("  " + "   ".join(facts))
    if report.load is not None:
        lines.append(f"  {load_line(report.load)}")
    if report.server is not None:
        lines.append(f"  counts: {count_summary(report)}")
    for line in stream_rows(report)[:1]:
        lines.append(
            f"  streams {line[1]}: TTFT {line[2]}, ITL {line[3]}, tokens/s {line[5]}, "
            f"completion {line[6]}"
            if line[2] != "not exercised"
            else "  LLM stream SLIs: not exercised (no stream answered)"
        )
    for cells in upstream_rows(report)[:1]:
        lines.append(f"  upstream (fakes' count): {cells[2]} attempts per request, "
                     f"{cells[5]} tokens per good answer")  # fmt: skip
    lines.extend(f"  {line}" for line in reaction_lines(report))
    for c in report.llm.checks if report.llm is not None else []:
        lines.append(f"  check {c.title}: {CHECK_MARK[c.state]}, {check_value(c)}")
    for o in report.overrides:
        lines.append(
            f"  override: {o.name} {o.phase_value:g} -> {o.scenario_value:g}"
            + (" (loosens the phase's target)" if o.loosens else "")
        )
    events = event_rows(report)
    if events:
        lines.append("  timeline:")
        lines += [f"    {t:>8}  {what}: {who} {state}" + (f" ({why})" if why else "")
                  for t, what, who, state, why in events[:_EVENTS_SHOWN]]  # fmt: skip
        if len(events) > _EVENTS_SHOWN:
            lines.append(
                f"    … {len(events) - _EVENTS_SHOWN} more in the HTML and Markdown reports"
            )
    lines.extend(f"warning: {w}" for w in report.warnings)
    return "\n".join(lines)


_EVENTS_SHOWN = 40


def _after(value: float | None) -> str:
    return "—" if value is None else f"+{duration(value)}"
