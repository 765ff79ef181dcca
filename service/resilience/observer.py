"""What the resilience layer reports: a Protocol the telemetry module implements.

Every argument is a low-cardinality label value (provider names from settings, error
kinds from ``ProviderError.kind``, fixed outcome and reason words) or a number.
Implementations must be cheap and must never raise.
"""

from __future__ import annotations

import enum
from typing import Protocol

__all__ = ["BreakerState", "NoopObserver", "ResilienceObserver"]


class BreakerState(enum.StrEnum):
    """Circuit breaker states."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class ResilienceObserver(Protocol):
    """Callbacks from the breaker and the router."""

    def attempt(self, provider: str, outcome: str, kind: str, seconds: float) -> None:
        """One upstream attempt ended. ``outcome``: ``success`` | ``error`` | ``cancelled``;
        ``kind``: ``ok`` on success, the error kind on error, ``hedge_lost`` or
        ``client_gone`` when cancelled. ``seconds``: attempt duration (for a stream: until
        its first event, or until it failed before one)."""

    def retry(self, provider: str, reason: str) -> None:
        """A retry at the same provider was scheduled; ``reason`` is the error kind."""

    def failover(self, from_provider: str, to_provider: str, reason: str) -> None:
        """The request moved on along the chain. ``reason``: the last error kind,
        ``breaker_open``, ``budget_exhausted``, ``retry_after``, ``retry_after_too_long``,
        ``unresponsive`` (missed its liveness probe) or ``deadline``."""

    def short_circuit(self, provider: str) -> None:
        """A call was refused without trying because ``provider``'s breaker is open."""

    def breaker_transition(self, provider: str, old: BreakerState, new: BreakerState) -> None:
        """``provider``'s breaker changed state (export the new state as a gauge)."""

    def breaker_opened(self, provider: str, failures: int) -> None:
        """``provider``'s breaker went from closed to open with ``failures`` failures in
        its rolling window (histogram). Not called when a failing half-open probe
        reopens it."""

    def attempts_per_request(self, attempts: int) -> None:
        """Upstream attempts one client request made, all providers together (histogram)."""

    def budget_exhausted(self, provider: str) -> None:
        """A retry at ``provider`` was refused by the retry budget."""

    def first_token(self, provider: str, seconds: float) -> None:
        """A stream committed to ``provider``; ``seconds`` from that attempt's start."""

    def stream_interrupted(self, provider: str, kind: str) -> None:
        """A committed stream from ``provider`` failed after its first token (``kind``:
        the error kind). Its attempt was already reported as a success at first token."""

    def hedge(self, primary: str, secondary: str, winner: str) -> None:
        """A hedged race between ``primary`` and ``secondary`` settled; ``winner`` is one
        of them or ``none`` when both failed or the request was abandoned."""


class NoopObserver:
    """Observes nothing (the default, and for tests)."""

    def attempt(self, provider: str, outcome: str, kind: str, seconds: float) -> None:
        return None

    def retry(self, provider: str, reason: str) -> None:
        return None

    def failover(self, from_provider: str, to_provider: str, reason: str) -> None:
        return None

    def short_circuit(self, provider: str) -> None:
        return None

    def breaker_transition(self, provider: str, old: BreakerState, new: BreakerState) -> None:
        return None

    def breaker_opened(self, provider: str, failures: int) -> None:
        return None

    def attempts_per_request(self, attempts: int) -> None:
        return None

    def budget_exhausted(self, provider: str) -> None:
        return None

    def first_token(self, provider: str, seconds: float) -> None:
        return None

    def stream_interrupted(self, provider: str, kind: str) -> None:
        return None

    def hedge(self, primary: str, secondary: str, winner: str) -> None:
        return None
