"""Roles to components: what ``primary-provider`` or ``replica:any`` means on one stack.

A scenario names roles; ``stack.json`` says which components and fault-proxy routes play
them. ``check_scenario(scenario, stack)`` refuses, before anything starts, a scenario that
needs a role or a control the stack lacks (a region on V1, a freeze on an external stack),
with one line naming what is missing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from rundir import Component, NoControl, ProxyRoute, Stack, Targets
from scenarios.model import PROCESS_ACTIONS, TOXIC_ACTIONS, Fault, Scenario

__all__ = ["Resolved", "TargetError", "check_scenario", "refuse_loosening", "resolve"]


class TargetError(ValueError):
    """The stack cannot play this role or action; the message is one line."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A fault's target on one stack: the components hit and the proxy routes toxics go on."""

    role: str
    components: tuple[Component, ...]
    proxies: tuple[ProxyRoute, ...]


def _providers(stack: Stack) -> list[Component]:
    return sorted(stack.of_kind("provider"), key=lambda c: (c.index or 0, c.name))


def _provider(stack: Stack, which: str) -> Component:
    providers = _providers(stack)
    if which.isdigit():
        number = int(which)
        if not 1 <= number <= len(providers):
            raise TargetError(
                f"target provider:{which}: phase {stack.phase} has {len(providers)} provider(s)"
            )
        return providers[number - 1]
    for part in providers:
        if which in (part.provider, part.name, part.vendor):
            return part
    names = ", ".join(p.provider or p.name for p in providers) or "none"
    raise TargetError(
        f"target provider:{which}: phase {stack.phase} has no such provider ({names})"
    )


def _routes_to(stack: Stack, components: Sequence[Component]) -> tuple[ProxyRoute, ...]:
    names = {part.name for part in components}
    return tuple(route for route in stack.proxies if route.component in names)


def resolve(stack: Stack, role: str, *, rng: random.Random | None = None) -> Resolved:
    """The components and routes behind ``role`` (``replica:any`` drawn from ``rng``)."""
    family, _, which = role.partition(":")
    if family in ("store", "cache"):
        kind = "redis" if family == "cache" else "store"
        parts = stack.of_kind(kind)
        if not parts:
            raise TargetError(f"target {role}: phase {stack.phase} has no {kind}")
        routes = tuple(r for r in stack.proxies if r.role == family) or _routes_to(stack, parts)
        return Resolved(role, parts, routes)
    if family == "load-balancer":
        parts = stack.of_kind("haproxy")
        if not parts:
            raise TargetError(
                f"target {role}: phase {stack.phase} has no load balancer (one replica is "
                "its own front door)"
            )
        return Resolved(role, parts, ())
    if family in ("primary-provider", "provider"):
        part = _provider(stack, which or "1")
        routes = tuple(r for r in stack.proxies if r.role == f"provider:{part.provider}")
        return Resolved(role, (part,), routes or _routes_to(stack, (part,)))
    if family == "replica":
        replicas = sorted(stack.of_kind("replica"), key=lambda c: (c.index or 0, c.name))
        if not replicas:
            raise TargetError(f"target {role}: phase {stack.phase} has no replicas")
        if which == "all":
            chosen = replicas
        elif which == "any":
            chosen = [(rng or random.Random(0)).choice(replicas)]
        else:
            number = int(which)
            if number > len(replicas):
                raise TargetError(
                    f"target {role}: phase {stack.phase} has {len(replicas)} replica(s)"
                )
            chosen = [replicas[number - 1]]
        names = {part.name for part in chosen}
        routes = tuple(r for r in stack.proxies if r.replica in names)
        return Resolved(role, tuple(chosen), routes)
    if family == "region":
        parts = tuple(part for part in stack.components if part.region == which)
        if not parts:
            regions = sorted({p.region for p in stack.components if p.region})
            have = ", ".join(regions) if regions else "no regions"
            raise TargetError(f"target {role}: phase {stack.phase} has {have}")
        names = {part.name for part in parts}
        routes = tuple(r for r in stack.proxies if r.component in names or r.replica in names)
        return Resolved(role, parts, routes)
    raise TargetError(f"target {role}: not a role")  # the model's pattern forbids this


def _check_fault(stack: Stack, fault: Fault, index: int) -> None:
    where = f"faults[{index}] ({fault.action} on {fault.target})"
    try:
        target = resolve(stack, fault.target)
    except TargetError as error:
        raise TargetError(f"{where}: {error}") from None
    if fault.action in TOXIC_ACTIONS or fault.action == "disable":
        if stack.proxy_api is None:
            raise TargetError(f"{where}: the stack has no fault proxy (stack.json proxy_api)")
        if not target.proxies:
            raise TargetError(f"{where}: no fault-proxy route reaches {fault.target}")
    elif fault.action == "fake":
        for part in target.components:
            if part.kind != "provider" or part.admin_url is None:
                raise TargetError(f"{where}: {part.name} has no fake fault API (admin_url)")
    elif fault.action in PROCESS_ACTIONS or fault.action == "region-down":
        for part in target.components:
            if fault.action == "region-down" and part.kind not in ("replica", "haproxy"):
                continue
            if isinstance(part.control, NoControl):
                raise TargetError(
                    f"{where}: {part.name} cannot be controlled on the {stack.backend} backend"
                )


def check_scenario(scenario: Scenario, stack: Stack) -> None:
    """Refuse a scenario this stack cannot play, naming the first missing role or control."""
    for index, fault in enumerate(scenario.faults):
        _check_fault(stack, fault, index)


def refuse_loosening(scenario: Scenario, targets: Targets) -> None:
    """Under ``--gate``, a scenario whose targets are easier than the phase's is bad input
    (exit 2 before anything starts) unless ``--allow-overrides``."""
    steady = scenario.steady_state
    loose = [
        name
        for name, value in (
            ("availability", steady.availability),
            ("latency_p95_s", steady.latency_p95_s),
            ("ttft_p95_s", steady.ttft_p95_s),
        )
        if value is not None
        and (float(value) - float(getattr(targets, name))) * (-1 if name == "availability" else 1)
        > 0
    ]
    if loose:
        raise TargetError(
            f"--gate refuses scenario {scenario.title!r}: it loosens the phase's targets "
            f"({', '.join(loose)}); pass --allow-overrides to accept them"
        )
