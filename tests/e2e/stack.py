"""Helpers for the stack's end-to-end tests: bring a phase up once per module, talk to it,
and check that ``down`` leaves nothing behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from lab.net import is_listening
from lab.stack import StackError, down, up
from lab.stack.processes import alive
from rundir import ProcessControl, Stack, stack_keys
from tests.fixtures.servers import skip_unless_required

__all__ = [
    "bring_up",
    "chat",
    "leftovers",
    "prometheus_targets",
    "query",
    "wait_targets_up",
]


def bring_up(phase: str, run_dir: Path, *, seed: int = 7) -> Iterator[Stack]:
    """``up`` the phase (skipping when a server binary is missing), ``down`` at the end."""
    try:
        stack = up(phase, seed=seed, stack_dir=run_dir)
    except StackError as error:
        if "not found on PATH" in str(error):
            skip_unless_required(str(error).split()[0], str(error))
        raise
    try:
        yield stack
    finally:
        down(run_dir)


def chat(stack: Stack, message: str = "hello", **fields: Any) -> httpx.Response:
    return httpx.post(
        f"{stack.front_door}/v1/chat",
        headers={"authorization": f"Bearer {stack_keys(stack)[0]}"},
        json={"message": message, **fields},
        timeout=30,
    )


def query(stack: Stack, promql: str) -> dict[str, Any]:
    assert stack.prometheus_url is not None
    response = httpx.get(
        f"{stack.prometheus_url}/api/v1/query", params={"query": promql}, timeout=10
    )
    body: dict[str, Any] = response.json()
    return body


def prometheus_targets(stack: Stack) -> list[dict[str, Any]]:
    assert stack.prometheus_url is not None
    response = httpx.get(f"{stack.prometheus_url}/api/v1/targets", timeout=10)
    targets: list[dict[str, Any]] = response.json()["data"]["activeTargets"]
    return targets


def wait_targets_up(stack: Stack, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The active targets once every one is ``up`` (or as they are at the deadline)."""
    deadline = time.monotonic() + timeout
    targets = prometheus_targets(stack)
    while time.monotonic() < deadline:
        targets = prometheus_targets(stack)
        if targets and all(t["health"] == "up" for t in targets):
            return targets
        time.sleep(0.5)
    return targets


def leftovers(stack: Stack) -> tuple[list[str], list[str]]:
    """(processes still alive, loopback ports still listening) of a stopped stack."""
    processes = [
        f"{c.name} pid {c.control.pid}"
        for c in stack.components
        if isinstance(c.control, ProcessControl) and alive(c.control.pid)
    ]
    ports: list[str] = []
    addresses = [c.url for c in stack.components] + [c.metrics_url for c in stack.components]
    addresses += [f"tcp://{r.listen}" for r in stack.proxies]
    for url in filter(None, addresses):
        rest = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
        host, _, port = rest.rpartition(":")
        if port.isdigit() and is_listening(host, int(port), timeout=0.2):
            ports.append(rest)
    return processes, ports
