"""Liveness, readiness and the drain flag.

``Lifecycle`` holds the process's drain state: after SIGTERM readiness answers 503 while
in-flight work finishes. ``ReadinessChecker`` probes every dependency concurrently, each
bounded by a timeout; the service is ready when it is not draining and every *required*
dependency is up. Providers are reported but not required: when every provider is down,
every replica is equally unable, and taking them all out of the balancer helps nobody.

With ``background_optional`` (the service flag ``CHAT_READINESS_BACKGROUND_PROBES``) a
non-required probe is never awaited by ``check()``: ``refresh()``, run by the service's
background loop, probes everything and ``check()`` reports the last known state of the
optional ones (``unknown`` before their first probe). ``/v1/ready`` then answers within
the required probes' budget whatever a provider does: a frozen provider, whose probe
waits for its whole timeout, used to make every replica miss the load balancer's health
check deadline, taking all of them out of the balancer at once.
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
    """``up`` | ``down`` | ``unknown`` (a background probe that has not answered yet)."""
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
        background_optional: bool = False,
    ) -> None:
        self.probes = tuple(probes)
        self.lifecycle = lifecycle
        self.timeout = timeout
        self.observer: ChatObserver = observer or NoopChatObserver()
        self.background_optional = background_optional
        self._last: dict[str, bool] = {}
        """Each probe's last answer (what ``check()`` reports for background probes)."""

    async def check(self) -> Readiness:
        """Say whether the service is ready: required probes run now (concurrently); the
        optional ones too, unless ``background_optional`` (then their last known state)."""
        if not self.background_optional:
            return await self.refresh()
        now = [p for p in self.probes if p.required]
        results = dict(zip((p.name for p in now), await self._gather(now), strict=True))
        return self._readiness({**self._last, **results})

    async def refresh(self) -> Readiness:
        """Probe every dependency now (concurrently), remember and report the results."""
        results = await self._gather(self.probes)
        return self._readiness(dict(zip((p.name for p in self.probes), results, strict=True)))

    async def _gather(self, probes: Sequence[Probe]) -> list[bool]:
        return list(await asyncio.gather(*(self._probe(p) for p in probes)))

    def _readiness(self, results: dict[str, bool]) -> Readiness:
        statuses = tuple(
            DependencyStatus(name=p.name, status=_status(results.get(p.name)), required=p.required)
            for p in self.probes
        )
        healthy = all(s.status == "up" for s in statuses if s.required)
        draining = self.lifecycle.draining
        return Readiness(ready=healthy and not draining, draining=draining, dependencies=statuses)

    async def _probe(self, probe: Probe) -> bool:
        try:
            up = bool(await asyncio.wait_for(probe.check(), self.timeout))
        except Exception:  # a probe that raises or hangs is a dependency that is down
            up = False
        self._last[probe.name] = up
        self.observer.dependency_status(probe.name, up)
        return up


def _status(up: bool | None) -> str:
    return "unknown" if up is None else "up" if up else "down"
