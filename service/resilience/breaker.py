"""Circuit breaker for one provider: closed, open, half-open.

- **closed**: calls pass; outcomes are counted over a rolling window. Once the window
  holds at least ``min_calls`` outcomes and the failure share reaches
  ``failure_rate_threshold``, the breaker opens.
- **open**: calls are refused for ``open_seconds``; then the next ``acquire`` moves the
  breaker to half-open.
- **half-open**: at most ``half_open_probes`` calls are let through (concurrently or one
  after the other). A failing probe reopens the breaker; once ``half_open_probes`` probes
  have succeeded it closes with an empty window.

Each admitted call holds a ``Permit`` and reports through exactly one of ``success``,
``failure`` or ``release`` (neither: cancelled, or an error that says nothing about the
provider's health, e.g. a 400). Reports from permits granted before the last transition
are ignored, so a slow call started while closed cannot close a half-open breaker.
Transitions are reported to the observer, and each closed -> open one also with the
failures its window held (how many failures the provider absorbed before its breaker
reacted; a failing half-open probe reopens without that report). All state lives in the
process: one breaker per provider is shared by every request of a replica.
"""

from __future__ import annotations

import msgspec

from service.domain.ports import Clock
from service.resilience.observer import BreakerState, NoopObserver, ResilienceObserver
from service.resilience.window import RollingCounts

__all__ = ["BreakerConfig", "CircuitBreaker", "Permit"]

_CALLS, _FAILURES = 0, 1


class BreakerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Breaker knobs.

    - ``failure_rate_threshold``: failure share that opens the breaker (0.5).
    - ``min_calls``: outcomes needed in the window before the rate counts (5).
    - ``window_seconds``: rolling window of outcomes, seconds (10.0), in ``buckets`` (10).
    - ``open_seconds``: how long an open breaker refuses calls (5.0).
    - ``half_open_probes``: probes let through in half-open; that many successes close (1).
    """

    failure_rate_threshold: float = 0.5
    min_calls: int = 5
    window_seconds: float = 10.0
    buckets: int = 10
    open_seconds: float = 5.0
    half_open_probes: int = 1

    def __post_init__(self) -> None:
        if not 0 < self.failure_rate_threshold <= 1:
            raise ValueError("failure_rate_threshold must be in (0, 1]")
        if self.min_calls < 1 or self.half_open_probes < 1:
            raise ValueError("min_calls and half_open_probes must be >= 1")
        if self.open_seconds < 0:
            raise ValueError("open_seconds must be >= 0")


class Permit(msgspec.Struct, frozen=True):
    """Leave to call the provider once; ``probe`` when granted in half-open."""

    generation: int
    probe: bool


class CircuitBreaker:
    """The breaker of one provider; see the module docstring."""

    def __init__(
        self,
        name: str,
        config: BreakerConfig,
        *,
        clock: Clock,
        observer: ResilienceObserver | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._clock = clock
        self._observer: ResilienceObserver = observer or NoopObserver()
        self._window = RollingCounts(
            clock, window_seconds=config.window_seconds, buckets=config.buckets, fields=2
        )
        self._state = BreakerState.CLOSED
        self._generation = 0
        self._opened_at = 0.0
        self._probes_admitted = 0
        self._probes_ok = 0

    @property
    def state(self) -> BreakerState:
        """Current state (an expired open period reads as half-open)."""
        self._expire_open()
        return self._state

    def acquire(self) -> Permit | None:
        """A permit to call, or ``None`` when the breaker refuses the call."""
        self._expire_open()
        if self._state is BreakerState.CLOSED:
            return Permit(self._generation, probe=False)
        if self._state is BreakerState.OPEN:
            return None
        if self._probes_admitted >= self.config.half_open_probes:
            return None
        self._probes_admitted += 1
        return Permit(self._generation, probe=True)

    def success(self, permit: Permit) -> None:
        """The permitted call succeeded."""
        if permit.generation != self._generation:
            return
        if self._state is BreakerState.CLOSED:
            self._window.add(_CALLS)
        elif permit.probe:
            self._probes_ok += 1
            if self._probes_ok >= self.config.half_open_probes:
                self._transition(BreakerState.CLOSED)

    def failure(self, permit: Permit) -> None:
        """The permitted call failed in a way that counts against the provider."""
        if permit.generation != self._generation:
            return
        if self._state is BreakerState.CLOSED:
            self._window.add(_CALLS)
            self._window.add(_FAILURES)
            calls, failures = self._window.totals()
            if calls >= self.config.min_calls and (
                failures / calls >= self.config.failure_rate_threshold
            ):
                self._transition(BreakerState.OPEN)
                self._observer.breaker_opened(self.name, failures)
        elif permit.probe:
            self._transition(BreakerState.OPEN)

    def release(self, permit: Permit) -> None:
        """The permitted call ended without a health verdict; frees a half-open probe slot."""
        if permit.generation == self._generation and permit.probe:
            self._probes_admitted = max(0, self._probes_admitted - 1)

    def _expire_open(self) -> None:
        if (
            self._state is BreakerState.OPEN
            and self._clock.monotonic() - self._opened_at >= self.config.open_seconds
        ):
            self._transition(BreakerState.HALF_OPEN)

    def _transition(self, new: BreakerState) -> None:
        old = self._state
        self._state = new
        self._generation += 1
        self._probes_admitted = 0
        self._probes_ok = 0
        if new is BreakerState.OPEN:
            self._opened_at = self._clock.monotonic()
        if new is BreakerState.CLOSED:
            self._window.clear()
        self._observer.breaker_transition(self.name, old, new)
