"""Liveness, readiness and the drain flag.

``Lifecycle`` holds the process's drain state: after SIGTERM readiness answers 503 while
in-flight work finishes. ``ReadinessChecker`` probes every dependency concurrently, each
bounded by a timeout; the service is ready when it is not draining and every *required*
dependency is up. Providers are reported but not required: when every provider is down,
every replica is equally unable, and taking them all out of the balancer helps nobody.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from service.domain.policy import ChatObserver, NoopChatObserver

__all__ = ["DependencyStatus", "Lifecycle", "Probe", "Readiness", "ReadinessChecker"]


class Lifecycle:
    """Whether the process is draining (set once, on SIGTERM)."""

    def __init__(self) -> None:
        self.draining = False
        self._listeners: list[Callable[[], None]] = []

    def on_drain(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` when draining begins."""
        self._listeners.append(listener)

    def begin_drain(self) -> None:
        """Start draining (idempotent)."""
        if self.draining:
            return
        self.draining = True
        for listener in self._listeners:
            listener()


class Probe(msgspec.Struct, frozen=True, kw_only=True):
    """One dependency check: ``check()`` answers whether it is up and never raises."""

    name: str
    check: Callable[[], Awaitable[bool]]
    required: bool = True


class DependencyStatus(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    status: str
    """``up`` | ``down``."""
    required: bool


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    ready: bool
    draining: bool
    dependencies: tuple[DependencyStatus, ...]


class ReadinessChecker:
    """Probes dependencies for ``/v1/ready`` and reports each result to the observer."""

    def __init__(
        self,
        probes: Sequence[Probe],
        lifecycle: Lifecycle,
        *,
        timeout: float = 1.0,
        observer: ChatObserver | None = None,
    ) -> None:
        self.probes = tuple(probes)
        self.lifecycle = lifecycle
        self.timeout = timeout
        self.observer: ChatObserver = observer or NoopChatObserver()

    async def check(self) -> Readiness:
        """Probe everything now (concurrently) and say whether the service is ready."""
        results = await asyncio.gather(*(self._probe(p) for p in self.probes))
        statuses = tuple(
            DependencyStatus(name=p.name, status="up" if up else "down", required=p.required)
            for p, up in zip(self.probes, results, strict=True)
        )
        healthy = all(s.status == "up" for s in statuses if s.required)
        draining = self.lifecycle.draining
        return Readiness(ready=healthy and not draining, draining=draining, dependencies=statuses)

    async def _probe(self, probe: Probe) -> bool:
        try:
            up = await asyncio.wait_for(probe.check(), self.timeout)
        except Exception:  # a probe that raises or hangs is a dependency that is down
            up = False
        self.observer.dependency_status(probe.name, bool(up))
        return bool(up)
