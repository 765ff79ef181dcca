"""The client's count against the service's: a difference beyond max(0.1 %, 2 requests) is
a warning naming its likely cause, read from the run's own data."""

from __future__ import annotations

from collections.abc import Sequence

from reports.model import ServerView, TimelineEvent
from reports.sources import source_of
from rundir import RequestRecord

__all__ = ["divergence_warnings"]


def divergence_warnings(
    server: ServerView | None, records: Sequence[RequestRecord], events: Sequence[TimelineEvent]
) -> list[str]:
    """One warning when the service's and the client's counts differ beyond the tolerance."""
    if server is None or server.reconciled is not False or server.difference is None:
        return []
    gap = server.requests - server.client_requests
    causes: list[str] = []
    timeouts = sum(1 for r in records if source_of(r) == "client_timeout")
    gone = sum(1 for r in records if source_of(r) == "no_response")
    restarts = [e.subject for e in events if e.kind == "restart"]
    lb_down = [e for e in events if e.kind in {"lb_server", "lb_backend"} and e.state != "up"]
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
    if server.load_balancer_answers and lb_down:
        causes.append(
            f"{server.load_balancer_answers:,} answers came from the load balancer itself "
            "(shown apart: no replica saw them)"
        )
    if not causes:
        causes.append("requests in flight across a replica's first or last scrape")
    return [
        f"client and service counts differ by {gap:+,.0f} requests ({server.difference:+.2%}; "
        f"allowed max(0.1 %, 2) = {server.tolerance:,.0f}): likely {'; '.join(causes)}"
    ]
