"""What a local stack of a phase will hold, without starting anything.

``sketch(phase)`` returns a ``Stack`` with the components and fault-proxy routes
``LocalStack`` would make (same names, kinds, regions, roles; placeholder addresses and
pids), so a run can refuse a scenario whose roles the phase lacks before it brings a stack
up (a region on V1, a third provider on V2).
"""

from __future__ import annotations

from lab.phases import Phase
from rundir import Component, ProcessControl, ProxyRoute, Stack

__all__ = ["sketch"]

_NOWHERE = "127.0.0.1:0"


def sketch(phase: Phase) -> Stack:
    """The shape of ``phase``'s local stack (addresses and pids are placeholders)."""
    control = ProcessControl(pid=0, pgid=0)
    regional = phase.multi_region
    parts: list[Component] = [Component(name="toxiproxy", kind="proxy", control=control)]
    redis_regions = phase.regions if phase.redis.per_region else phase.regions[:1]
    for region in redis_regions:
        name = f"redis-{region}" if phase.redis.per_region else "redis"
        parts.append(Component(name=name, kind="redis", control=control,
                               region=region if regional else None))  # fmt: skip
    if phase.store.kind == "postgres":
        parts.append(Component(name="postgres", kind="store", control=control,
                               region=phase.regions[0] if regional else None))  # fmt: skip
    for index, spec in enumerate(phase.providers, start=1):
        parts.append(Component(name=f"fake-{spec.name}", kind="provider", control=control,
                               index=index, admin_url="http://127.0.0.1:0/_fake",
                               vendor=spec.vendor, provider=spec.name))  # fmt: skip
    routes: list[ProxyRoute] = []
    number = 0
    for region in phase.regions:
        for _ in range(phase.replicas):
            number += 1
            replica = f"replica-{number}"
            parts.append(Component(name=replica, kind="replica", control=control, index=number,
                                   region=region if regional else None))  # fmt: skip
            redis = f"redis-{region}" if phase.redis.per_region else "redis"
            dependencies = [("redis", "cache", redis)]
            if phase.store.kind == "postgres":
                dependencies.append(("store", "store", "postgres"))
            dependencies += [(p.name, f"provider:{p.name}", f"fake-{p.name}")
                             for p in phase.providers]  # fmt: skip
            routes += [
                ProxyRoute(name=f"{replica}.{dependency}", listen=_NOWHERE, upstream=_NOWHERE,
                           role=role, component=component, replica=replica)
                for dependency, role, component in dependencies
            ]  # fmt: skip
    if phase.total_replicas > 1:
        parts.append(Component(name="haproxy", kind="haproxy", control=control))
    parts.append(Component(name="prometheus", kind="prometheus", control=control))
    return Stack(
        phase=phase.id, phase_title=phase.title, front_door="http://127.0.0.1:0", api_key="",
        proxy_api="http://127.0.0.1:0", targets=phase.sla(), components=tuple(parts),
        proxies=tuple(routes),
    )  # fmt: skip
