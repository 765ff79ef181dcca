"""Per-API-key usage limits in fixed 60-second windows, like the vendors' RPM/TPM limits.

A request is admitted when the window still has one request and enough tokens for its cost
(prompt tokens plus the completion tokens it will be served); admission charges both. The
window starts at a key's first request and resets 60 s later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fakes.llm.faults import Quota

__all__ = ["WINDOW_S", "QuotaBook", "QuotaStatus"]

WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """A key's limits after a decision, for the vendors' rate-limit headers."""

    requests_limit: int | None
    requests_remaining: int | None
    tokens_limit: int | None
    tokens_remaining: int | None
    reset_s: float
    exceeded: str | None  # "requests", "tokens" or None when admitted

    def usage(self, kind: str | None) -> tuple[int | None, int | None]:
        """``(limit, remaining)`` of the tokens limit for ``"tokens"``, else of the requests one."""
        if kind == "tokens":
            return self.tokens_limit, self.tokens_remaining
        return self.requests_limit, self.requests_remaining

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until the window resets (at least 1)."""
        return max(1, math.ceil(self.reset_s))


@dataclass(slots=True)
class _Window:
    start: float
    requests: int = 0
    tokens: int = 0


class QuotaBook:
    """Usage windows keyed by ``(scope, api_key)``; the caller passes the clock reading."""

    __slots__ = ("_windows",)

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], _Window] = {}

    def clear(self) -> None:
        """Forget all usage."""
        self._windows.clear()

    def admit(self, quota: Quota, *, scope: str, key: str, cost: int, now: float) -> QuotaStatus:
        """Charge one request of ``cost`` tokens, or refuse it; either way report the status."""
        window = self._windows.get((scope, key))
        if window is None or now - window.start >= WINDOW_S:
            window = _Window(start=now)
            self._windows[(scope, key)] = window
        rpm, tpm = quota.requests_per_minute, quota.tokens_per_minute
        exceeded: str | None = None
        if rpm is not None and window.requests + 1 > rpm:
            exceeded = "requests"
        elif tpm is not None and window.tokens + cost > tpm:
            exceeded = "tokens"
        else:
            window.requests += 1
            window.tokens += cost
        return QuotaStatus(
            requests_limit=rpm,
            requests_remaining=None if rpm is None else max(0, rpm - window.requests),
            tokens_limit=tpm,
            tokens_remaining=None if tpm is None else max(0, tpm - window.tokens),
            reset_s=max(0.0, window.start + WINDOW_S - now),
            exceeded=exceeded,
        )
