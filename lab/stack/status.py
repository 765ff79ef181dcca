"""``status``: every component of a stack in a stack directory, with its state now."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import msgspec

from lab.net import is_listening
from lab.stack.processes import state
from rundir import ProcessControl, read_stack

__all__ = ["ComponentStatus", "status"]


class ComponentStatus(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: str
    state: Literal["up", "down", "frozen", "unknown"]
    pid: int | None = None
    url: str | None = None
    region: str | None = None
    restarts: int = 0
    """Restarts by the supervisor (``stack.json`` ``extra.restarts``)."""


def status(stack_dir: Path) -> list[ComponentStatus]:
    """Every component of the stack in ``stack_dir`` with its state now."""
    stack = read_stack(stack_dir.resolve())
    rows: list[ComponentStatus] = []
    for part in stack.components:
        control = part.control
        pid: int | None = None
        if isinstance(control, ProcessControl):
            pid = control.pid
            now = state(pid, control.start)  # a reused pid is another process: down
            label: Literal["up", "down", "frozen", "unknown"] = (
                "up" if now == "running" else "frozen" if now == "frozen" else "down"
            )
        else:
            label = _probe(part.url)
        rows.append(
            ComponentStatus(
                name=part.name,
                kind=part.kind,
                state=label,
                pid=pid,
                url=part.url,
                region=part.region,
                restarts=int(part.extra.get("restarts", 0)),
            )
        )
    return rows


def _probe(url: str | None) -> Literal["up", "down", "unknown"]:
    if not url:
        return "unknown"
    rest = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = rest.rpartition(":")
    if not port.isdigit():
        return "unknown"
    return "up" if is_listening(host.strip("[]"), int(port), timeout=0.5) else "down"
