"""Apply one fault to a stack, and undo it from a plain-data description.

``undo_plan(stack, fault, resolved, fault_id)`` returns the steps that undo a fault, as
JSON-ready dicts; the injector writes them into the ``fault_start`` event BEFORE
``inflict(...)`` does the harm, so a later process (the next run, ``chaoslab down``) can
``undo(steps, stack)`` a fault whose runner was killed at any moment.
Every undo step is idempotent: undoing twice, or undoing what is already gone, is fine.

- toxics go through ``lab.faults.toxiproxy`` (one toxic per proxy route, named
  ``chaoslab-<fault id>``); undo removes it;
- ``disable`` disables the routes; undo enables them;
- ``fake`` PUTs the fake's fault configuration; undo restores the one in force before;
- ``freeze``/``kill``/``restart`` go through ``lab.stack.control``; undo resumes a frozen
  component and restarts a killed one that nobody brought back;
- ``region-down`` kills every part of the region the lab controls (replicas, Redis, the
  database: the supervisor promotes the standby elsewhere); undo revives all but the database.
"""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec

from fakes.llm.client import FakeAdmin
from lab.faults.toxiproxy import NotFound, ToxiproxyClient
from rundir import Component, NoControl, ProcessControl, Stack, stack_token
from scenarios.model import TOXIC_ACTIONS, Fault
from scenarios.targets import Resolved

__all__ = ["ActionError", "inflict", "undo", "undo_plan"]

Step = dict[str, Any]


class ActionError(RuntimeError):
    """A fault could not be applied or undone; one line."""


def _toxiproxy(stack: Stack) -> ToxiproxyClient:
    if stack.proxy_api is None:
        raise ActionError("the stack has no fault proxy (stack.json proxy_api)")
    return ToxiproxyClient(stack.proxy_api, timeout=10.0)


def _control() -> Any:
    from lab.stack import control

    return control


def _alive(part: Component) -> bool:
    from lab.proc import alive

    control = part.control
    return not isinstance(control, ProcessControl) or alive(control.pid, control.start)


def undo_plan(stack: Stack, fault: Fault, target: Resolved, fault_id: str) -> list[Step]:
    """The steps that will undo ``fault`` (no harm done yet; a fake's configuration in
    force is read so that undo restores it). Written to events.jsonl before ``inflict``."""
    action = fault.action
    if action in TOXIC_ACTIONS:
        name = f"chaoslab-{fault_id}"
        return [{"kind": "toxic", "proxy": r.name, "toxic": name} for r in target.proxies]
    if action == "disable":
        return [{"kind": "enable", "proxy": r.name} for r in target.proxies]
    if action == "fake":
        steps: list[Step] = []
        for part in target.components:
            assert part.admin_url is not None  # checked before the run
            with FakeAdmin(part.admin_url, token=stack_token(stack)) as admin:
                previous = admin.get_faults()
            steps.append({"kind": "fake", "admin_url": part.admin_url, "previous": previous})
        return steps
    if action == "freeze":
        return [_process_step("resume", stack, part.name) for part in target.components]
    if action == "kill":
        return [_process_step("revive", stack, part.name) for part in target.components]
    if action == "region-down":
        # The region's store is not brought back: its standby elsewhere was promoted, and a
        # second primary would split the data (docs/stack.md says what a failover loses).
        return [
            _process_step("revive", stack, part.name)
            for part in _region_parts(target)
            if part.kind not in ("store", "standby-store")
        ]
    return []  # restart: instantaneous, nothing to undo


def _process_step(kind: str, stack: Stack, name: str) -> Step:
    """An undo step for a process, with the pid it had before the harm (for evidence)."""
    part = _fresh_component(stack, name)
    control = part.control if part is not None else None
    pid = control.pid if isinstance(control, ProcessControl) else None
    return {"kind": kind, "component": name, "pid": pid}


def _region_parts(target: Resolved) -> list[Component]:
    """Every part of the region the lab controls, replicas first (a region goes down whole:
    its replicas, its Redis, its database, as a lost zone would)."""
    parts = [p for p in target.components if not isinstance(p.control, NoControl)]
    return sorted(parts, key=lambda p: p.kind != "replica")


def inflict(stack: Stack, fault: Fault, target: Resolved, fault_id: str) -> None:
    """Do the harm; ``ActionError`` (one line) when it fails midway (undo the plan then)."""
    try:
        _inflict(stack, fault, target, fault_id)
    except ActionError:
        raise
    except Exception as error:
        raise ActionError(f"{type(error).__name__}: {error}".splitlines()[0]) from error


def _inflict(stack: Stack, fault: Fault, target: Resolved, fault_id: str) -> None:
    action = fault.action
    if action in TOXIC_ACTIONS:
        name = f"chaoslab-{fault_id}"
        with _toxiproxy(stack) as proxy:
            for route in target.proxies:
                handle = proxy.get_proxy(route.name)
                if handle is None:
                    raise ActionError(f"proxy {route.name} is not on the fault proxy")
                with contextlib.suppress(NotFound):
                    handle.destroy_toxic(name)  # a leftover of a killed run
                handle.add_toxic(type=action, stream=fault.stream, name=name,
                                 toxicity=fault.toxicity, attributes=fault.attributes)  # fmt: skip
    elif action == "disable":
        _disable(stack, [route.name for route in target.proxies])
    elif action == "fake":
        assert fault.faults is not None  # the model requires it for action fake
        wanted = msgspec.to_builtins(fault.faults)
        for part in target.components:
            assert part.admin_url is not None
            with FakeAdmin(part.admin_url, token=stack_token(stack)) as admin:
                admin.set_faults(wanted)
    elif action in ("freeze", "kill", "restart"):
        act = getattr(_control(), action)
        for part in target.components:
            act(stack, part.name)
    elif action == "region-down":
        for part in _region_parts(target):
            _control().kill(stack, part.name)
    else:  # pragma: no cover - the model's Literal forbids anything else
        raise ActionError(f"unknown action {action!r}")


def _disable(stack: Stack, names: list[str]) -> None:
    with _toxiproxy(stack) as proxy:
        for name in names:
            handle = proxy.get_proxy(name)
            if handle is None:
                raise ActionError(f"proxy {name} is not on the fault proxy")
            handle.disable()


def undo(steps: list[Step], stack: Stack) -> list[str]:
    """Undo ``steps`` in reverse order; every step is tried; returns one line per step that
    failed (empty: all undone)."""
    problems: list[str] = []
    for step in reversed(steps):
        try:
            _undo(step, stack)
        except Exception as error:  # keep undoing the rest, report each
            what = step.get("proxy") or step.get("component") or step.get("admin_url")
            problems.append(f"{step.get('kind')} {what}: {error}".splitlines()[0])
    return problems


def _undo(step: Step, stack: Stack) -> None:
    kind = step["kind"]
    if kind in ("toxic", "enable"):
        with _toxiproxy(stack) as proxy:
            handle = proxy.get_proxy(step["proxy"])
            if handle is None:
                return  # the proxy is gone: nothing left to undo
            if kind == "toxic":
                with contextlib.suppress(NotFound):
                    handle.destroy_toxic(step["toxic"])
            else:
                handle.enable()
    elif kind == "fake":
        with FakeAdmin(step["admin_url"], token=stack_token(stack)) as admin:
            previous = step.get("previous") or {}
            if previous:
                admin.set_faults(previous)
            else:
                admin.clear()
    elif kind == "resume":
        _control().resume(stack, step["component"])
    elif kind == "revive":
        control = _control()
        part = _fresh_component(stack, step["component"])
        if part is not None and not _alive(part):
            control.restart(stack, part.name)
    else:
        raise ActionError(f"unknown undo step {kind!r}")


def _fresh_component(stack: Stack, name: str) -> Component | None:

    from rundir import fresh_stack

    try:
        return fresh_stack(stack).component(name)
    except KeyError:
        return None
