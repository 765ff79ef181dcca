"""Hand-built stacks for target resolution: V1-like (one of everything) and V4-like."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rundir import Component, NoControl, ProcessControl, ProxyRoute, Stack, Targets

__all__ = ["make_stack", "write_scenario"]


def make_stack(
    *,
    replicas: int = 1,
    providers: int = 1,
    regions: tuple[str, ...] = ("a",),
    external: bool = False,
) -> Stack:
    """A stack description like `chaoslab up` writes (pids are placeholders)."""

    def control(pid: int) -> ProcessControl | NoControl:
        return NoControl() if external else ProcessControl(pid=pid, pgid=pid)

    vendors = ["openai", "anthropic", "openai"]
    parts = [
        Component(name="redis", kind="redis", control=control(10), region=regions[0]),
        Component(name="postgres", kind="store", control=control(11), region=regions[0]),
    ]
    for n in range(1, providers + 1):
        name = vendors[n - 1] if n < 3 else f"openai-{n - 1}"
        parts.append(
            Component(
                name=f"fake-{name}",
                kind="provider",
                index=n,
                provider=name,
                vendor=vendors[(n - 1) % 3],
                admin_url=f"http://127.0.0.1:{9000 + n}",
                control=control(20 + n),
            )
        )
    routes = []
    for r in range(1, replicas + 1):
        region = regions[(r - 1) % len(regions)]
        replica = f"replica-{r}"
        parts.append(
            Component(name=replica, kind="replica", index=r, region=region, control=control(30 + r))
        )
        routes.append(
            ProxyRoute(
                name=f"{replica}.redis",
                listen="127.0.0.1:1",
                upstream="127.0.0.1:2",
                role="cache",
                component="redis",
                replica=replica,
            )
        )
        routes.append(
            ProxyRoute(
                name=f"{replica}.store",
                listen="127.0.0.1:3",
                upstream="127.0.0.1:4",
                role="store",
                component="postgres",
                replica=replica,
            )
        )
        for part in parts:
            if part.kind == "provider":
                routes.append(
                    ProxyRoute(
                        name=f"{replica}.{part.provider}",
                        listen="127.0.0.1:5",
                        upstream="127.0.0.1:6",
                        role=f"provider:{part.provider}",
                        component=part.name,
                        replica=replica,
                    )
                )
    return Stack(
        phase=f"v{providers}",
        front_door="http://127.0.0.1:8000",
        api_key="sk-lab",
        proxy_api="http://127.0.0.1:8474",
        targets=Targets(availability=0.99, latency_p95_s=3.0, ttft_p95_s=1.5),
        components=tuple(parts),
        proxies=tuple(routes),
        backend="external" if external else "local",
    )


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[str], Path]:
    """Write TOML text to a scenario file and return its path."""

    def write(text: str, name: str = "bad.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
