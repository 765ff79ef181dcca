"""Rows every format shows for "the cause on the page": the timeline of events, failures by
who answered them and cache hits per span, and the client/service count per replica."""

from __future__ import annotations

from reports.model import Report, Sli
from reports.sources import SOURCE_TITLES

__all__ = [
    "COUNT_HEADER",
    "EVENT_HEADER",
    "EXIT_MEANING",
    "SOURCE_HEADER",
    "count_rows",
    "count_summary",
    "event_rows",
    "exit_line",
    "reproduce_commands",
    "source_rows",
]

EXIT_MEANING = {
    0: "met",
    1: "breached",
    2: "bad input",
    3: "inconclusive under --gate",
    4: "invalid run",
}
EVENT_HEADER = ("t", "what", "subject", "state", "detail")
SOURCE_HEADER = ("span", "failed", "answered by", "cache hits")
COUNT_HEADER = ("replica", "its own count", "client's requests it answered", "span")
_KIND = {
    "fault_start": "fault",
    "fault_end": "fault",
    "breaker": "breaker",
    "lb_server": "load balancer server",
    "lb_backend": "load balancer",
    "readiness": "readiness",
    "restart": "restart",
    "promotion": "standby promotion",
    "worker": "load worker",
    "abort": "abort",
}


def exit_line(report: Report) -> str:
    """``exit 1 (breached)``: the code this process returns and what it means."""
    return f"exit {report.exit_code} ({EXIT_MEANING.get(report.exit_code, '?')})"


def event_rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    return [
        (f"{e.t:+.1f} s", _KIND.get(e.kind, e.kind), e.subject, e.state, e.detail)
        for e in report.events
    ]


def _sources(sli: Sli) -> str:
    if not sli.failure_sources:
        return "—"
    return ", ".join(f"{_title(k)} {n:,}" for k, n in sli.failure_sources.items())


def _title(key: str) -> str:
    source, _, replica = key.partition(":")
    title = SOURCE_TITLES.get(source, source)
    return f"{title} ({replica})" if replica else title


def source_rows(report: Report) -> list[tuple[str, str, str, str]]:
    """Whole run, then each fault window: failures, who answered them, cache hits."""
    rows = [("whole run", f"{report.sli.failure:,}", _sources(report.sli), _hits(report.sli))]
    for w in report.windows:
        span = f"{w.id} {w.start:.0f}-{w.end:.0f} s"
        rows.append((span, f"{w.sli.failure:,}", _sources(w.sli), _hits(w.sli)))
    return rows


def _hits(sli: Sli) -> str:
    if sli.cache_hits is None:
        return "not recorded"
    return f"{sli.cache_hits:,} of {sli.good:,} good"


def count_rows(report: Report) -> list[tuple[str, str, str, str]]:
    server = report.server
    if server is None:
        return []
    return [
        (c.replica, f"{c.server:,.0f}", f"{c.client:,}", f"{c.span[0]:+.1f}…{c.span[1]:+.1f} s")
        for c in server.replicas
    ]


def count_summary(report: Report) -> str:
    """One sentence: the summed reconciliation, the load balancer's answers apart."""
    server = report.server
    if server is None:
        return ""
    per = " (each replica over its own scrape span)" if server.replicas else ""
    verdict = (
        ""
        if server.reconciled is None
        else (" · within" if server.reconciled else " · BEYOND")
        + f" max(0.1 %, 2) = {server.tolerance:,.0f}"
    )
    diff = "" if server.difference is None else f" ({server.difference:+.2%})"
    lb = (
        f"; {server.load_balancer_answers:,} answers came from the load balancer itself "
        "(no replica saw them)"
        if server.load_balancer_answers
        else ""
    )
    streams = (
        f"; {server.stream_interruptions:,.0f} streams it counted as interrupted are failures"
        if server.stream_interruptions
        else ""
    )
    return (
        f"service counted {server.requests:,.0f} requests, the client {server.client_requests:,}"
        f"{per}{diff}{verdict}{lb}{streams}"
    )


def reproduce_commands(report: Report) -> list[str]:
    """The stack's ``up``, the run's own command, and the report."""
    run = report.run
    out = [run.up_command] if run.up_command else []
    if run.command:
        out.append(run.command)
    out.append(f"chaoslab report {run.run_dir}")
    return out
