"""JUnit XML: one test case per target, the way CI systems show test results.

pass: a plain test case; fail: ``<failure>``; inconclusive: ``<skipped>`` with its reason,
or ``<failure>`` under ``--gate``; not exercised: ``<skipped>``; an invalid run: every
case is an ``<error>`` naming why. Each LLM check (``check:<name>``) is a case too: fail
is ``<failure>``, not applicable / not exercised ``<skipped>``; the LLM stream SLIs are
the suite's ``<system-out>``.

Each case's ``time`` is the span of the run it judged: the whole run for a run-wide target
or check, a fault window's length for a check of that window, the time before the first
fault / inside faults / after the last one for a steady-state check of that stage.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from reports.model import Report
from reports.render.format import interval, measured, target
from reports.render.llm import (
    CHECK_MARK,
    HEADER,
    UPSTREAM_HEADER,
    check_value,
    reaction_lines,
    stream_rows,
    upstream_rows,
)

__all__ = ["render_junit"]


def render_junit(report: Report) -> str:
    run = report.run
    suite_name = ".".join(p for p in ("chaoslab", run.scenario or "run", run.phase) if p)
    suite = ET.Element("testsuite", name=suite_name, timestamp=_iso(run.t0))
    failures = errors = skipped = 0
    spans = _spans(report)
    for v in report.verdicts:
        stage = v.name.split(":")[1] if v.name.startswith("check:") else ""
        seconds = spans.get(stage, run.duration_s)
        case = ET.SubElement(
            suite, "testcase", classname=suite_name, name=v.name, time=f"{seconds:.3f}"
        )
        text = f"{v.title}: measured {measured(v)} {interval(v)} target {target(v)}".strip()
        if report.invalid_reasons:
            errors += 1
            ET.SubElement(
                case, "error", message="invalid run: " + "; ".join(report.invalid_reasons)
            )
        elif v.verdict == "fail":
            failures += 1
            ET.SubElement(case, "failure", message=v.reason or "target missed").text = text
        elif v.verdict == "inconclusive" and report.gate:
            failures += 1
            ET.SubElement(
                case, "failure", message="inconclusive under --gate: " + v.reason
            ).text = text
        elif v.verdict in {"inconclusive", "not_exercised"}:
            skipped += 1
            label = "inconclusive" if v.verdict == "inconclusive" else "not exercised"
            ET.SubElement(case, "skipped", message=f"{label}: {v.reason}")
        ET.SubElement(case, "system-out").text = text
    checks = report.llm.checks if report.llm is not None else []
    for c in checks:
        name = f"check:{c.name}" + (f":{c.window}" if c.window else "")
        seconds = spans.get(f"window:{c.window}", run.duration_s)
        case = ET.SubElement(suite, "testcase", classname=suite_name, name=name,
                             time=f"{seconds:.3f}")  # fmt: skip
        text = f"{c.title}: {CHECK_MARK[c.state]}, {check_value(c)}"
        if c.state == "fail":
            failures += 1
            ET.SubElement(case, "failure", message=c.reason or "threshold exceeded").text = text
        elif c.state != "pass":
            skipped += 1
            ET.SubElement(case, "skipped", message=f"{CHECK_MARK[c.state]}: {c.reason}")
        ET.SubElement(case, "system-out").text = text
    if report.llm is not None:
        suite.append(_stream_properties(report))
    suite.set("tests", str(len(report.verdicts) + len(checks)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", f"{run.duration_s:.3f}")
    properties = ET.Element("properties")
    for name, value in (
        ("phase", run.phase),
        ("scenario", run.scenario),
        ("seed", "" if run.seed is None else str(run.seed)),
        ("git_commit", run.git_commit),
        ("status", report.status),
        ("exit_code", str(report.exit_code)),
        ("requests", str(report.sli.requests)),
        (
            "failures_by_source",
            ", ".join(f"{k} {n}" for k, n in report.sli.failure_sources.items()),
        ),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    if report.load is not None:
        for name, number in (
            ("load.offered_rate", report.load.offered_rate),
            ("load.achieved_rate", report.load.achieved_rate),
            ("load.goodput", report.load.goodput),
        ):
            value = "" if number is None else f"{number:.3f}"
            ET.SubElement(properties, "property", name=name, value=value)
    for o in report.overrides:
        shown = f"{o.phase_value:g} -> {o.scenario_value:g}" + (" (loosens)" if o.loosens else "")
        ET.SubElement(properties, "property", name=f"override.{o.name}", value=shown)
    suite.insert(0, properties)
    root = ET.Element("testsuites", name="chaoslab")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _spans(report: Report) -> dict[str, float]:
    """Seconds of the run each kind of case judges: ``window:<id>`` per fault window;
    ``before`` / ``during`` / ``after`` for the steady-state stages."""
    total = report.run.duration_s
    windows = [(w.start, min(w.end, total)) for w in report.windows]
    spans = {f"window:{w.id}": max(0.0, min(w.end, total) - w.start) for w in report.windows}
    if not windows:
        return {**spans, "before": total, "during": 0.0, "after": 0.0}
    covered, last_end = 0.0, None
    for start, end in sorted(windows):  # union of the windows (they may overlap)
        begin = start if last_end is None else max(start, last_end)
        covered += max(0.0, end - begin)
        last_end = end if last_end is None else max(last_end, end)
    first, last = min(s for s, _ in windows), max(e for _, e in windows)
    return {
        **spans,
        "before": max(0.0, first),
        "during": covered,
        "after": max(0.0, total - last),
    }


def _stream_properties(report: Report) -> ET.Element:
    """The stream SLIs as suite output (JUnit has no table): one line per span."""
    out = ET.Element("system-out")
    lines = ["LLM stream SLIs: " + " | ".join(HEADER)]
    lines += [" | ".join(row) for row in stream_rows(report)]
    upstream = upstream_rows(report)
    if upstream:
        lines.append("Upstream cost (the fakes' count): " + " | ".join(UPSTREAM_HEADER))
        lines += [" | ".join(row) for row in upstream]
    lines += reaction_lines(report)
    out.text = "\n".join(lines)
    return out


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
