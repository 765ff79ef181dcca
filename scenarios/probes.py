"""Generated scenarios: one fault per component for ``chaoslab spof``, none for ``capacity``.

``spof_probes(stack)`` lists, from the stack's own components (so a phase file of your own
gets its own map), one probe per part of the architecture: each replica, the load balancer,
the cache, the store, each provider and each region when there are two or more. The lab's
instruments (fault proxy, Prometheus, supervisor, load generator) are not probed.
``probe_toml(...)`` and ``load_toml(...)`` write the scenario a probe or a capacity step runs,
as TOML the loader validates like any other file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rundir import Stack

__all__ = ["KINDS", "Probe", "load_toml", "probe_toml", "spof_probes"]


KINDS: tuple[str, ...] = ("replica", "load-balancer", "cache", "store", "provider", "region")


@dataclass(frozen=True, slots=True)
class Probe:
    """One component (or role) to take away for one short run."""

    name: str
    """What the table shows: ``replica-2``, ``load balancer``, ``provider openai-2``."""
    kind: str
    """``replica``, ``load-balancer``, ``cache``, ``store``, ``provider`` or ``region``."""
    target: str
    """The scenario role that hits it (``replica:2``, ``provider:openai-2``, ``region:a``)."""
    action: str
    components: tuple[str, ...]
    """The stack's components behind the role."""


def spof_probes(stack: Stack, *, action: str = "kill") -> list[Probe]:
    """The probes for this stack, in an order that leaves it usable for the next one (the
    store and whole regions last: losing them promotes a standby)."""
    probes: list[Probe] = []
    replicas = sorted(stack.of_kind("replica"), key=lambda c: (c.index or 0, c.name))
    for number, part in enumerate(replicas, start=1):
        probes.append(Probe(part.name, "replica", f"replica:{number}", action, (part.name,)))
    providers = sorted(stack.of_kind("provider"), key=lambda c: (c.index or 0, c.name))
    for part in providers:
        label = part.provider or part.name
        probes.append(
            Probe(f"provider {label}", "provider", f"provider:{label}", action, (part.name,))
        )
    caches = stack.of_kind("redis")
    if caches:
        names = tuple(c.name for c in caches)
        label = "cache" if len(caches) == 1 else f"cache (all {len(caches)}: {', '.join(names)})"
        probes.append(Probe(label, "cache", "cache", action, names))
    for part in stack.of_kind("haproxy"):
        probes.append(Probe("load balancer", "load-balancer", "load-balancer", action,
                            (part.name,)))  # fmt: skip
    for part in stack.of_kind("store"):
        probes.append(Probe(f"store ({part.name})", "store", "store", action, (part.name,)))
    regions = sorted({p.region for p in stack.components if p.region})
    if len(regions) > 1:
        # the first region holds the primary store and HAProxy's active servers
        region = regions[0]
        names = tuple(p.name for p in stack.components if p.region == region)
        probes.append(Probe(f"region {region}", "region", f"region:{region}", "region-down",
                            names))  # fmt: skip
    return probes


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string or number is a valid TOML one


def load_toml(
    *, title: str, hypothesis: str, teaches: str, duration: float, rate: float | None,
    timeout: float, users: int | None = None,
) -> str:  # fmt: skip
    """A scenario with no fault: the load only (open model at ``rate`` requests/s)."""
    lines = [f"title = {_toml(title)}", f"hypothesis = {_toml(hypothesis)}",
             f"teaches = {_toml(teaches)}", 'tags = ["generated"]', "", "[load]",
             f"duration = {duration:g}", f"timeout = {timeout:g}"]  # fmt: skip
    if rate is not None:
        lines.append(f"arrival_rate = {rate:g}")
        lines.append(f"max_in_flight = {max(20, round(rate * timeout * 2))}")
    if users is not None:
        lines.append(f"users = {users}")
    return "\n".join(lines) + "\n"


def probe_toml(
    probe: Probe, *, phase: str, duration: float, rate: float | None, timeout: float
) -> str:
    """The scenario of one probe: the component taken away from 25 % to 75 % of the run."""
    text = load_toml(
        title=f"{phase.upper()} without {probe.name}",
        hypothesis=f"With {probe.name} lost for half the run, {phase.upper()} keeps serving.",
        teaches="Whether this one component is a single point of failure of the phase.",
        duration=duration, rate=rate, timeout=timeout,
    )  # fmt: skip
    start, length = round(duration * 0.25, 3), round(duration * 0.5, 3)
    return text + (
        f'\n[[faults]]\nname = "lose-{probe.kind}"\nat = {start:g}\nduration = {length:g}\n'
        f"target = {_toml(probe.target)}\naction = {_toml(probe.action)}\n"
    )
