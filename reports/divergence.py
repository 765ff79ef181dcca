"""The client's count against the service's: a difference beyond max(0.1 %, 2 requests) is
a warning naming its likely cause, read from the run's own data."""

from __future__ import annotations

from collections.abc import Sequence

from reports.model import ServerView, TimelineEvent
from reports.sources import source_of
from rundir import RequestRecord

__all__ = ["divergence_warnings"]


def divergence_warnings(
    server: ServerView | None,
    records: Sequence[RequestRecord],
    events: Sequence[TimelineEvent],
    *,
    t0: float = 0.0,
) -> list[str]:
    """One warning when the service's and the client's counts differ beyond the tolerance."""
    if server is None or server.reconciled is not False or server.difference is None:
        return []
    gap = server.requests - server.client_requests
    causes: list[str] = []
    timeouts = sum(1 for r in records if source_of(r) == "client_timeout")
    gone = sum(1 for r in records if source_of(r) == "no_response")
    restarts = [e.subject for e in events if e.kind == "restart"]
    if timeouts:
        causes.append(
            f"{timeouts:,} client timeouts (the service finishes and counts them after the "
            "client gave up, with no replica named on the client's side)"
        )
    if gone:
        causes.append(f"{gone:,} requests got no response (a replica killed or cut mid-request)")
    if restarts:
        causes.append(
            f"restarted replicas ({', '.join(sorted(set(restarts)))}): a restarted counter "
            "loses what it counted before its last scrape"
        )
    late = _ended_just_after(server, records, t0=t0)
    if late:
        causes.append(
            f"{late:,} client requests ended within {_EDGE_S:g} s after a replica's first or "
            "last scrape (the service counted them before it; a busy load generator reads "
            "answers late)"
        )
    if not causes:
        causes.append("requests in flight across a replica's first or last scrape")
    return [
        f"client and service counts differ by {gap:+,.0f} requests ({server.difference:+.2%}; "
        f"allowed max(0.1 %, 2) = {server.tolerance:,.0f}): likely {'; '.join(causes)}"
    ]


_EDGE_S = 0.25


def _ended_just_after(server: ServerView, records: Sequence[RequestRecord], *, t0: float) -> int:
    """Client requests a replica answered whose recorded end falls just after one of its
    span's edges, beyond the ones just before it (a burst there: the client's clock of an
    answer lags the service's)."""
    extra = 0
    for count in server.replicas:
        mine = [r.t + r.latency_s - t0 for r in records if r.replica == count.replica]
        for edge in count.span:
            after = sum(1 for end in mine if edge < end <= edge + _EDGE_S)
            before = sum(1 for end in mine if edge - _EDGE_S < end <= edge)
            extra += max(0, after - before)
    return extra
