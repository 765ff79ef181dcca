"""Wiring: feature flags mapped onto the router, readiness, and the metrics catalog."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from service.app import build_router
from service.domain.errors import AllProvidersFailed
from service.domain.health import Lifecycle, Probe, ReadinessChecker
from service.domain.types import ChatRequest, Message, Role
from service.settings import ResilienceSettings
from service.telemetry.metrics import METRICS, ServiceMetrics, catalog
from tests.unit.service.doubles import EchoProvider

REQUEST = ChatRequest(model="m1", messages=(Message(role=Role.USER, content="hi"),))
QUICK = ResilienceSettings(retry_base_delay=0.0, retry_max_delay=0.0)


async def test_failover_on_moves_to_the_next_provider() -> None:
    """With failover on, a failing first provider hands the request to the second."""
    first, second = EchoProvider("a", failures=99), EchoProvider("b")
    router = build_router(QUICK, [first, second])
    assert (await router.complete(REQUEST)).provider == "b"


async def test_failover_off_keeps_each_model_on_its_first_provider() -> None:
    """With failover off, a failing first provider fails the request."""
    first, second = EchoProvider("a", failures=99), EchoProvider("b")
    router = build_router(msgspec.structs.replace(QUICK, failover_enabled=False), [first, second])
    with pytest.raises(AllProvidersFailed):
        await router.complete(REQUEST)
    assert second.calls == 0


async def test_retries_off_is_one_attempt() -> None:
    """With retries off, one failure of the only provider fails the request."""
    only = EchoProvider("a", failures=1)
    router = build_router(msgspec.structs.replace(QUICK, retry_enabled=False), [only])
    with pytest.raises(AllProvidersFailed):
        await router.complete(REQUEST)
    assert only.calls == 1


async def test_retries_on_ride_out_a_failure() -> None:
    """With retries on, one failure is retried at the same provider."""
    only = EchoProvider("a", failures=1)
    router = build_router(QUICK, [only])
    assert (await router.complete(REQUEST)).provider == "a"
    assert only.calls == 2


async def test_breaker_off_never_opens() -> None:
    """With the breaker off, a long run of failures never short-circuits the provider."""
    only = EchoProvider("a", failures=50)
    flags = msgspec.structs.replace(
        QUICK, breaker_enabled=False, retry_enabled=False, breaker_min_calls=1
    )
    router = build_router(flags, [only])
    for _ in range(20):
        with pytest.raises(AllProvidersFailed):
            await router.complete(REQUEST)
    assert only.calls == 20


async def test_readiness_needs_required_dependencies_and_no_drain() -> None:
    """Ready only when required probes pass and the process is not draining."""

    async def up() -> bool:
        return True

    async def down() -> bool:
        return False

    async def hangs() -> bool:
        await asyncio.sleep(10)
        return True

    lifecycle = Lifecycle()
    optional_down = ReadinessChecker(
        [Probe(name="store", check=up), Probe(name="llm", check=down, required=False)],
        lifecycle,
    )
    assert (await optional_down.check()).ready
    hanging = ReadinessChecker([Probe(name="redis", check=hangs)], lifecycle, timeout=0.01)
    report = await hanging.check()
    assert not report.ready
    assert report.dependencies[0].status == "down"
    lifecycle.begin_drain()
    draining = await optional_down.check()
    assert (draining.ready, draining.draining) == (False, True)


def test_catalog_lists_every_metric_once_with_a_description() -> None:
    """Every metric is in the catalog with a prefix, labels and a one-line description."""
    entries = catalog()
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)) == len(METRICS)
    for entry in entries:
        assert str(entry["name"]).startswith("chat_")
        description = str(entry["description"])
        assert description
        assert "\n" not in description
        assert "user" not in entry["labels"]  # type: ignore[operator]


def test_every_catalogued_metric_is_exported() -> None:
    """The registry exports exactly the catalogued families."""
    metrics = ServiceMetrics()
    exported = {m.name for m in metrics.registry.collect()}
    expected = {m.name.removesuffix("_total") for m in METRICS}
    assert exported == expected
