"""Who answered each request, and which answers came from the response cache.

The client records ``RequestRecord.source`` (``rundir.SOURCES``: the replica, a provider's
error passed through, a dependency the service named, the load balancer's own answer, a
client timeout, no response, the load generator) and the replica that answered
(``x-chat-replica``). Logs written before those fields existed are read by the same rule
from what they hold: a response without the service's request id came from in front of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rundir import RequestRecord

__all__ = ["SOURCE_TITLES", "cache_hits", "failure_sources", "source_of"]

SOURCE_TITLES = {
    "replica": "a replica's own error",
    "provider": "a provider's error passed through",
    "dependency": "a dependency the service named (503)",
    "load_balancer": "the load balancer itself (never reached a replica)",
    "client_timeout": "client timeout",
    "no_response": "no response (connection refused or reset)",
    "load_generator": "the load generator (arrival dropped or late)",
}
"""What each source means, in the words a report prints."""


def source_of(record: RequestRecord) -> str:
    """The record's source; inferred for logs without one."""
    if record.source:
        return record.source
    if record.reason == "timeout":
        return "client_timeout"
    if record.reason in {"dropped_at_cap", "late"}:
        return "load_generator"
    if record.status == 0:
        return "no_response"
    if record.status >= 500 and record.request_id is None:
        return "load_balancer"
    return "replica"


def failure_sources(records: Iterable[RequestRecord]) -> dict[str, int]:
    """Failed requests by source (``replica`` split as ``replica:<name>`` when known),
    most first."""
    counts: Counter[str] = Counter()
    for record in records:
        if record.outcome != "failure":
            continue
        source = source_of(record)
        if source in {"replica", "provider", "dependency"} and record.replica:
            source = f"{source}:{record.replica}"
        counts[source] += 1
    return dict(counts.most_common())


def cache_hits(records: Iterable[RequestRecord]) -> int | None:
    """Good answers the service gave from its response cache; None when no record says
    (a log written before the client recorded it)."""
    hits, known = 0, False
    for record in records:
        if record.cached is not None:
            known = True
            hits += record.outcome == "good" and record.cached
    return hits if known else None
