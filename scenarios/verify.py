"""Did the fault really take effect? Evidence read back from the thing harmed.

``took_effect(stack, fault, steps)`` returns None when every part of the fault is visible
(the toxic listed by the proxy, the route disabled, the fake's fault returned by its API,
the process in state T, the killed process gone or replaced) and one line naming what is
not, otherwise. The injector records the answer as a ``check`` event after each start;
``nox -s e2e`` asserts it for every shipped scenario.
"""

from __future__ import annotations

import time
from typing import Any

from fakes.llm.client import FakeAdmin
from lab.faults.toxiproxy import ToxiproxyClient
from lab.proc import state_letter
from rundir import ProcessControl, Stack, fresh_stack, stack_token
from scenarios.model import Fault

__all__ = ["process_state", "took_effect"]


def process_state(pid: int) -> str:
    """The /proc state letter (R, S, T, Z...), or "gone"."""
    return state_letter(pid)


def _pid(stack: Stack, name: str) -> int | None:
    try:
        control = fresh_stack(stack).component(name).control
    except KeyError:
        return None
    return control.pid if isinstance(control, ProcessControl) else None


def _check(stack: Stack, step: dict[str, Any], original: dict[str, int | None]) -> str | None:
    kind = step["kind"]
    if kind in ("toxic", "enable"):
        assert stack.proxy_api is not None
        with ToxiproxyClient(stack.proxy_api) as client:
            proxy = client.get_proxy(step["proxy"])
            if proxy is None:
                return f"proxy {step['proxy']} is gone"
            if kind == "toxic" and step["toxic"] not in proxy.toxics():
                return f"toxic {step['toxic']} not listed on {step['proxy']}"
            if kind == "enable" and proxy.enabled:
                return f"proxy {step['proxy']} still enabled"
    elif kind == "fake":
        with FakeAdmin(step["admin_url"], token=stack_token(stack)) as admin:
            if not {k for k in admin.get_faults() if k != "seed"}:
                return f"the fake at {step['admin_url']} reports no fault"
    elif kind in ("resume", "revive"):
        name = step["component"]
        pid = original.get(name)
        if pid is None:
            return None  # not a local process (compose): nothing to read back
        state = process_state(pid)
        if kind == "resume" and state != "T":
            return f"{name} (pid {pid}) is in state {state}, not T (stopped)"
        if kind == "revive" and state not in ("gone", "Z") and _pid(stack, name) == pid:
            return f"{name} (pid {pid}) still runs (state {state})"
    return None


def took_effect(stack: Stack, fault: Fault, steps: list[dict[str, Any]]) -> str | None:
    """None when the fault is visibly in force; else one line saying what is not."""
    if fault.action == "restart":
        return None
    original = {s["component"]: s.get("pid") for s in steps if "component" in s}
    problem: str | None = None
    for _attempt in range(20):  # a signal is delivered asynchronously: give it 2 s
        problem = next((p for s in steps if (p := _check(stack, s, original))), None)
        if problem is None:
            return None
        time.sleep(0.1)
    return problem
