"""Provider liveness from a fast probe: a provider that does not answer its probe (``GET
/v1/models``) within the probe timeout is *unresponsive* until a probe answers again.

A frozen provider (a stopped process, a black-holed network) accepts connections and never
answers, so nothing refuses: every request waits out its attempt (a stream's first-token
wait, a non-streaming attempt's timeout) until the breaker has counted enough of them. With
``RouterConfig.unresponsive_failover`` (the service flag ``CHAT_UNRESPONSIVE_FAILOVER``) the
router's ``watch`` probes each provider every few hundred milliseconds; the first probe that
fails marks it unresponsive. Requests then skip it while another provider is available, and
the attempts already waiting on it are cancelled and fail over at once (``Liveness.signal``).

The probe asks for the cheapest thing a provider serves, so a provider that is only slow to
generate (a long first token, a brownout) still answers it and is not unresponsive: this
catches silence, not slowness (hedging handles slowness).
"""

from __future__ import annotations

import asyncio

__all__ = ["Liveness"]


class Liveness:
    """Which providers are unresponsive, and a signal per provider for the attempts that
    wait on it."""

    def __init__(self) -> None:
        self._down: set[str] = set()
        self._signals: dict[str, asyncio.Future[None]] = {}

    def unresponsive(self, provider: str) -> bool:
        """Whether ``provider``'s last probe failed."""
        return provider in self._down

    def signal(self, provider: str) -> asyncio.Future[None]:
        """A future that completes when ``provider`` is next marked unresponsive (shared by
        every attempt waiting on it: await it through ``asyncio.wait``, never cancel it)."""
        future = self._signals.get(provider)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._signals[provider] = future
        return future

    def note(self, provider: str, up: bool) -> bool:
        """Record a probe's answer; True when it changed ``provider``'s state."""
        if up:
            if provider not in self._down:
                return False
            self._down.discard(provider)
            return True
        if provider in self._down:
            return False
        self._down.add(provider)
        future = self._signals.pop(provider, None)
        if future is not None and not future.done():
            future.set_result(None)
        return True
