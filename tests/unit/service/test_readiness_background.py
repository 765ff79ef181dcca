"""Readiness with background probes (``CHAT_READINESS_BACKGROUND_PROBES``): a non-required
dependency that hangs never slows ``check()`` nor makes the service unready."""

from __future__ import annotations

import asyncio
import time

from service.domain.health import Lifecycle, Probe, ReadinessChecker

HANG_SECONDS = 30.0
PROBE_TIMEOUT = 0.5


async def _up() -> bool:
    return True


async def _hangs() -> bool:
    await asyncio.sleep(HANG_SECONDS)
    return True


def _checker(*, background: bool) -> ReadinessChecker:
    probes = [Probe(name="store", check=_up), Probe(name="llm", check=_hangs, required=False)]
    return ReadinessChecker(
        probes, Lifecycle(), timeout=PROBE_TIMEOUT, background_optional=background
    )


async def test_a_hanging_optional_probe_does_not_slow_check_in_background_mode() -> None:
    """check() answers before the hanging provider probe's timeout and says ready."""
    checker = _checker(background=True)
    start = time.monotonic()
    report = await checker.check()
    assert time.monotonic() - start < PROBE_TIMEOUT / 2
    assert report.ready
    assert {d.name: d.status for d in report.dependencies} == {"store": "up", "llm": "unknown"}


async def test_check_reports_the_last_background_result() -> None:
    """After refresh() found the provider down, check() reports it down, still ready."""
    checker = _checker(background=True)
    refreshed = await checker.refresh()
    assert [d.status for d in refreshed.dependencies] == ["up", "down"]
    report = await checker.check()
    assert report.ready
    assert [d.status for d in report.dependencies] == ["up", "down"]


async def test_without_background_mode_check_waits_for_the_hanging_probe() -> None:
    """The old behaviour (flag off): check() waits for the provider probe's timeout."""
    checker = _checker(background=False)
    start = time.monotonic()
    report = await checker.check()
    assert time.monotonic() - start >= PROBE_TIMEOUT * 0.9
    assert report.ready  # still ready, but too late for a load balancer's health check
    assert [d.status for d in report.dependencies] == ["up", "down"]


async def test_required_probes_still_run_on_every_check_in_background_mode() -> None:
    """A required dependency going down is seen by the next check(), not the next refresh."""
    state = {"up": True}

    async def store() -> bool:
        return state["up"]

    checker = ReadinessChecker(
        [Probe(name="store", check=store)], Lifecycle(), background_optional=True
    )
    assert (await checker.check()).ready
    state["up"] = False
    assert not (await checker.check()).ready
