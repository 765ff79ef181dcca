"""The fake's request log: one JSON line per chat request, written when the request ends.

With ``FAKE_LLM_REQUEST_LOG=PATH`` (``--request-log PATH``) every chat request, whatever
became of it (answered, failed, rejected, reset, hung, cut mid-stream, left by its client,
malformed), appends one line: when it arrived, the caller's ``x-request-id`` (the service's
request id), the fake's response id, what was asked, the status and outcome, the tokens
actually sent and how long it took. The lab counts the service's upstream attempts per
client request from these lines (``rundir.UpstreamRecord`` reads them; a test keeps
``Attempt`` and that Struct equal: the fakes import nothing from the lab).

The file is opened once per worker process in append mode and each line is one ``write``
(``O_APPEND``), so several granian workers can share it without interleaving lines. Without
the variable nothing is opened and nothing is written.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import msgspec

from fakes.llm.engine import Decision, Hang, Reject, Reset, Serve

__all__ = ["ENV_REQUEST_LOG", "Attempt", "RequestLog", "decision_outcome"]

ENV_REQUEST_LOG = "FAKE_LLM_REQUEST_LOG"


class Attempt(msgspec.Struct, kw_only=True):
    """One chat request as this fake saw it (a line of the request log).

    Mutable: the request path fills it in as it goes, and it is written once at the end.
    """

    t: float
    """When the request arrived, Unix seconds."""
    rid: str | None = None
    """The caller's ``x-request-id`` header, None when absent."""
    id: str = ""
    """The fake's response id."""
    vendor: str = ""
    model: str = ""
    """The model asked for ("" when the body did not decode)."""
    stream: bool = False
    status: int = 0
    """HTTP status sent; 0 when none was (a reset, a client gone during a hang)."""
    outcome: str = ""
    """One of ``metrics.OUTCOMES``."""
    prompt_tokens: int = 0
    """The request's prompt tokens by the fake's count (0 when the body did not decode)."""
    completion_tokens: int = 0
    """Completion tokens actually sent (a cut stream counts what went out)."""
    latency_s: float = 0.0
    """From arrival until the answer (or the failure) was sent."""
    drawn_ttft_s: float | None = None
    """Time to first token drawn for a served request (profile, latency fault or tail)."""
    drawn_tokens_per_s: float | None = None
    """Decode rate the provider profile drew (None: no profile rate)."""
    drawn_tokens: int | None = None
    """The answer's length in tokens (the profile's or the natural one, cut by max_tokens)."""
    drawn_stall_s: float | None = None
    """A mid-stream pause the profile drew (None: none)."""


def decision_outcome(decision: Decision) -> str:
    """The outcome a decision not to serve stands for (as ``FakeMetrics.decision`` counts it)."""
    if isinstance(decision, Reject):
        return "rejected" if decision.reason in ("auth", "model", "context") else "error"
    if isinstance(decision, Reset):
        return "reset"
    if isinstance(decision, Hang):
        return "hang"
    assert isinstance(decision, Serve)
    return "ok" if decision.stream_fault is None else "stream_fault"


class RequestLog:
    """An append-only JSON-lines file, opened once; ``write`` is one ``os.write`` per line."""

    __slots__ = ("_encode", "_fd", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self._encode = msgspec.json.Encoder().encode

    def write(self, attempt: Attempt) -> None:
        """Append ``attempt`` as one line (a full disk loses the line, not the request)."""
        with contextlib.suppress(OSError):
            os.write(self._fd, self._encode(attempt) + b"\n")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
