"""Chaos Toolkit experiments to and from scenarios, for the parts that map.

``to_chaostoolkit(scenario, stack)`` writes an experiment for ``chaos run``: title,
description (hypothesis, what it teaches, how to run load beside it), ``configuration``
entries that find the stack's addresses at run time (environment, else ``stack.json``:
``scenarios.chaostoolkit_probes.stack_address``; no port is written into the file), a
steady-state probe measuring the scenario's SLI (availability over a window, from the
stack's Prometheus, with the phase's or the scenario's target as tolerance; it fails on zero
requests), the timeline as method actions on Toxiproxy through the
``chaostoolkit-toxiproxy`` driver (``chaostoxi.toxic.actions.create_toxic`` /
``delete_toxic``, ``chaostoxi.proxy.actions.disable_proxy`` / ``enable_proxy``, with pauses
for the times), and rollbacks undoing every toxic and disabled proxy. Roles are resolved to
the stack's proxy names. What has no Toxiproxy equivalent (the fakes' fault API, kill, freeze,
restart, region-down) is an ``ExportError`` naming the fault; the load is not exported
(Chaos Toolkit has none): the description and the ``chaoslab`` extension give the command.

``from_chaostoolkit(experiment, stack)`` reads such an experiment back into scenario TOML
text (toxics and disabled proxies on proxies the stack knows); anything else is an
``ExportError`` naming it.
"""

from __future__ import annotations

import json
from typing import Any

from rundir import Stack
from scenarios.model import TOXIC_ACTIONS, Scenario
from scenarios.targets import resolve

__all__ = [
    "PROMETHEUS_ENV",
    "PROXY_ENV",
    "STACK_ENV",
    "ExportError",
    "from_chaostoolkit",
    "to_chaostoolkit",
]

_TOXIC = "chaostoxi.toxic.actions"
_PROBES = "scenarios.chaostoolkit_probes"
STACK_ENV = "CHAOSLAB_STACK"
PROXY_ENV = "CHAOSLAB_PROXY_API"
PROMETHEUS_ENV = "CHAOSLAB_PROMETHEUS_URL"
_PROXY = "chaostoxi.proxy.actions"


class ExportError(ValueError):
    """Something does not map between the two formats; one line naming it."""


def _action(
    name: str, module: str, func: str, arguments: dict[str, Any], before: float
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "action",
        "name": name,
        "provider": {"type": "python", "module": module, "func": func, "arguments": arguments},
    }
    if before > 0:
        action["pauses"] = {"before": round(before, 3)}
    return action


def _address(title: str, field: str, env: str) -> dict[str, Any]:
    """A dynamic configuration entry: ``$env``, else ``field`` of the stack's stack.json."""
    return {
        "type": "probe",
        "name": title,
        "provider": {
            "type": "python",
            "module": _PROBES,
            "func": "stack_address",
            "arguments": {"field": field, "env": env},
        },
    }


def to_chaostoolkit(
    scenario: Scenario,
    stack: Stack,
    *,
    name: str = "scenario",
    duration: float | None = None,
    window_s: float = 10.0,
) -> dict[str, Any]:
    """The experiment; ``duration`` scales the timeline like ``chaoslab run --duration``;
    the steady state is the availability over ``window_s`` seconds before and after."""
    if stack.proxy_api is None:
        raise ExportError("the stack has no fault proxy (stack.json proxy_api) to export against")
    scale = 1.0 if duration is None else duration / scenario.load.duration
    total = scenario.load.duration * scale
    moments: list[tuple[float, int, dict[str, Any]]] = []
    rollbacks: list[dict[str, Any]] = []
    for index, fault in enumerate(scenario.faults):
        fid = fault.name or f"fault-{index + 1}"
        if fault.action not in TOXIC_ACTIONS and fault.action != "disable":
            raise ExportError(
                f"faults[{index}] ({fid}): action {fault.action!r} has no Chaos Toolkit "
                "equivalent in chaostoolkit-toxiproxy (it drives Toxiproxy only)"
            )
        routes = [route.name for route in resolve(stack, fault.target).proxies]
        if not routes:
            raise ExportError(f"faults[{index}] ({fid}): no proxy route reaches {fault.target}")
        start = fault.at * scale
        end = (fault.at + fault.duration) * scale if fault.duration is not None else total
        toxic = f"chaoslab-{fid}"
        for route in routes:
            on: tuple[str, dict[str, Any]]
            off: tuple[str, dict[str, Any]]
            if fault.action == "disable":
                on = ("disable_proxy", {"proxy_name": route})
                off = ("enable_proxy", {"proxy_name": route})
                module = _PROXY
            else:
                on = ("create_toxic", {
                    "for_proxy": route, "toxic_name": toxic, "toxic_type": fault.action,
                    "stream": fault.stream, "toxicity": fault.toxicity,
                    "attributes": dict(fault.attributes),
                })  # fmt: skip
                off = ("delete_toxic", {"for_proxy": route, "toxic_name": toxic})
                module = _TOXIC
            moments.append(
                (
                    start,
                    0,
                    {
                        "name": f"{fid} on {route}",
                        "module": module,
                        "func": on[0],
                        "arguments": on[1],
                    },
                )
            )
            moments.append(
                (
                    end,
                    1,
                    {
                        "name": f"{fid} off {route}",
                        "module": module,
                        "func": off[0],
                        "arguments": off[1],
                    },
                )
            )
            rollbacks.append(_action(f"rollback {fid} on {route}", module, off[0], off[1], 0))
    method: list[dict[str, Any]] = []
    previous = 0.0
    for at, _order, step in sorted(moments, key=lambda m: (m[0], m[1])):
        method.append(
            _action(step["name"], step["module"], step["func"], step["arguments"], at - previous)
        )
        previous = at
    target = scenario.steady_state.availability or stack.targets.availability
    load = scenario.load
    run_load = (
        f"uv run chaoslab run --phase {stack.phase} --scenario baseline "
        f"--duration {round(total + 2 * window_s + 30)}s"
    )
    return {
        "version": "1.0.0",
        "title": scenario.title,
        "description": (
            f"{scenario.hypothesis} Teaches: {scenario.teaches} "
            f"(exported from chaoslab scenario {name!r}). Chaos Toolkit sends no load, and the"
            f" steady state fails on zero requests: start load beside it first, e.g. "
            f"`{run_load}` (the scenario's own load was {load.duration:g} s of Locust users)."
            f" Addresses come from the stack at run time: {STACK_ENV} names its directory"
            f" (default: the current stack under .chaoslab), {PROXY_ENV} and {PROMETHEUS_ENV}"
            " override them."
        ),
        "tags": ["chaoslab", *scenario.tags],
        "configuration": {
            "chaoslab_stack": {"type": "env", "key": STACK_ENV, "default": ""},
            "toxiproxy_url": _address("the stack's fault proxy API", "proxy_api", PROXY_ENV),
            "prometheus_url": _address("the stack's Prometheus", "prometheus_url", PROMETHEUS_ENV),
        },
        "steady-state-hypothesis": {
            "title": scenario.hypothesis,
            "probes": [
                {
                    "type": "probe",
                    "name": f"availability-over-{window_s:g}s-at-least-{target:g}",
                    "tolerance": {"type": "range", "range": [target, 1.0]},
                    "provider": {
                        "type": "python",
                        "module": _PROBES,
                        "func": "availability",
                        "arguments": {"window_s": window_s},
                    },
                }
            ],
        },
        "extensions": [{"name": "chaoslab", "scenario": name, "load": run_load}],
        "method": method,
        "rollbacks": rollbacks,
    }


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def from_chaostoolkit(experiment: dict[str, Any], stack: Stack) -> str:
    """Scenario TOML text for an experiment made of Toxiproxy toxics and disabled proxies."""
    roles = {route.name: route.role for route in stack.proxies}
    clock = 0.0
    open_faults: dict[tuple[str, str], dict[str, Any]] = {}
    faults: list[dict[str, Any]] = []
    for index, step in enumerate(experiment.get("method") or []):
        provider = step.get("provider") or {}
        where = f"method[{index}] ({step.get('name', '?')})"
        clock += float((step.get("pauses") or {}).get("before", 0))
        func, args = provider.get("func"), provider.get("arguments") or {}
        if provider.get("module") not in (_TOXIC, _PROXY):
            raise ExportError(
                f"{where}: {provider.get('module')}.{func} does not map to a scenario fault"
            )
        proxy = args.get("for_proxy") or args.get("proxy_name")
        if proxy not in roles:
            raise ExportError(f"{where}: proxy {proxy!r} is not one of this stack's routes")
        role = roles[proxy]
        key = (str(proxy), str(args.get("toxic_name", "disable")))
        if func in ("create_toxic", "disable_proxy"):
            fault: dict[str, Any] = {"at": round(clock, 3), "target": role}
            if func == "create_toxic":
                fault |= {"action": args["toxic_type"], "stream": args.get("stream", "downstream"),
                          "toxicity": float(args.get("toxicity", 1.0)),
                          "attributes": dict(args.get("attributes") or {})}  # fmt: skip
            else:
                fault["action"] = "disable"
            open_faults[key] = fault
            faults.append(fault)
        elif func in ("delete_toxic", "enable_proxy") and key in open_faults:
            started = open_faults.pop(key)
            started["duration"] = round(clock - started["at"], 3)
        else:
            raise ExportError(f"{where}: {func} does not map to a scenario fault")
    unique: list[dict[str, Any]] = []
    for fault in faults:  # one route per replica: the role covers them all once
        if not any(
            f["target"] == fault["target"]
            and f["at"] == fault["at"]
            and f["action"] == fault["action"]
            for f in unique
        ):
            unique.append(fault)
    duration = max([clock + 1.0] + [f["at"] + f.get("duration", 0) + 1.0 for f in unique])
    steady = experiment.get("steady-state-hypothesis") or {}
    hypothesis = steady.get("title") or experiment.get("description", "")
    lines = [
        f"title = {_toml(experiment.get('title', 'imported experiment'))}",
        f"hypothesis = {_toml(hypothesis)}",
        f"teaches = {_toml(experiment.get('description', 'imported from Chaos Toolkit'))}",
        "",
        "[load]",
        f"duration = {_toml(round(duration, 3))}",
    ]
    for fault in unique:
        lines += ["", "[[faults]]"] + [f"{k} = {_toml(v)}" for k, v in fault.items()]
    return "\n".join(lines) + "\n"
