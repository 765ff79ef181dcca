"""THE outcome table: what a client request counts as (good, failure or excluded), and why.

The load, the live display and the reports all classify with ``classify()``; the same table
is in docs/load.md (a test keeps them in step). Availability = good / (good + failure);
excluded requests count for neither.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["OUTCOME_TABLE", "Outcome", "Rule", "classify"]

Outcome = Literal["good", "failure", "excluded"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table."""

    reason: str
    outcome: Outcome
    when: str


OUTCOME_TABLE: Final[tuple[Rule, ...]] = (
    Rule("ok", "good", "2xx; for a stream, its final event (`done` / `[DONE]`) arrived"),
    Rule("stream_incomplete", "failure", "a 2xx stream that ended without its final event"),
    Rule("stream_error", "failure", "a 2xx stream that carried an error event"),
    Rule("timeout", "failure", "no complete answer within the client timeout"),
    Rule("connection_error", "failure", "connection refused, reset or closed without a response"),
    Rule("dropped_at_cap", "failure", "open model: due while max_in_flight requests were pending"),
    Rule("late", "failure", "open model: started more than the client timeout after it was due"),
    Rule("http_5xx", "failure", "any 5xx from the front door (reason names it: http_503)"),
    Rule("rate_limited", "failure", "429 to a normal user, unless the scenario expects it"),
    Rule("http_4xx", "failure", "another 4xx to a normal user (a lab bug worth seeing)"),
    Rule("expected_status", "excluded", "a status the scenario lists in load.expected_statuses"),
    Rule("expected_4xx", "excluded", "any 4xx to the abusive user (it asks for them)"),
)

_BY_REASON: Final = {rule.reason: rule for rule in OUTCOME_TABLE}


def classify(
    *,
    user: str,
    status: int,
    error: str | None = None,
    stream: bool = False,
    stream_done: bool = False,
    stream_error: bool = False,
    expected: Collection[int] = (),
) -> tuple[Outcome, str]:
    """The outcome and reason of one request.

    ``status`` is the HTTP status (0 when no response came); ``error`` a client-side
    failure reason (``timeout``, ``connection_error``, ``dropped_at_cap``, ``late``) that
    wins over the status; streams are good only with their final event."""
    if error is not None:
        return _BY_REASON[error].outcome, error
    if 200 <= status < 300:
        if stream and stream_error:
            return "failure", "stream_error"
        if stream and not stream_done:
            return "failure", "stream_incomplete"
        return "good", "ok"
    if status in expected:
        return "excluded", "expected_status"
    if 400 <= status < 500:
        if user == "abusive":
            return "excluded", "expected_4xx"
        if status == 429:
            return "failure", "rate_limited"
        return "failure", "http_4xx"
    if status >= 500:
        return "failure", f"http_{status}"
    return "failure", "connection_error"
