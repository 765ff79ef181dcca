"""The supervisor's watch: a live primary that stops answering is failed over; a dead
replica is restarted only where the phase supervises (stand-in servers, no processes)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from lab.phases import get_phase
from lab.stack.supervisor import Supervisor
from rundir import Component


class _Server:
    def __init__(self, *, running: bool = True, answers: bool = True) -> None:
        self.running = running
        self.answers = answers

    def probe(self) -> bool:
        return self.answers


class _Stack:
    def __init__(self, phase_id: str, parts: dict[str, Any]) -> None:
        self.phase = get_phase(phase_id)
        self.parts = {name: SimpleNamespace(name=name, kind=kind, server=server)
                      for name, (kind, server) in parts.items()}  # fmt: skip
        self.promoted = False
        self.failed_over = threading.Event()
        self.restarted: list[str] = []

    def failover_store(self) -> None:
        self.promoted = True
        self.failed_over.set()

    def restart(self, name: str) -> Component:
        self.restarted.append(name)
        self.parts[name].server.running = True
        return Component(name=name, kind="replica")

    def stop(self) -> None:
        return None

    def remove_data(self) -> None:
        return None


_STANDBY = {"postgres-standby": ("standby-store", _Server())}


def _watching(stack: _Stack, tmp_path: Path) -> Supervisor:
    supervisor = Supervisor(lambda me: stack, stack_dir=tmp_path)
    supervisor._spawn(supervisor._watch)
    return supervisor


def test_a_primary_that_stops_answering_is_failed_over(tmp_path: Path) -> None:
    """V4: the primary's process is alive but silent (frozen): failover within seconds."""
    stack = _Stack("v4", {"postgres": ("store", _Server(answers=False)), **_STANDBY})
    supervisor = _watching(stack, tmp_path)
    try:
        started = time.monotonic()
        assert stack.failed_over.wait(15)
        assert time.monotonic() - started < 10
    finally:
        supervisor.stop()


def test_a_dead_primary_is_failed_over_at_once(tmp_path: Path) -> None:
    """V4: the primary's process is gone: failover on the next poll."""
    stack = _Stack("v4", {"postgres": ("store", _Server(running=False)), **_STANDBY})
    supervisor = _watching(stack, tmp_path)
    try:
        assert stack.failed_over.wait(5)
    finally:
        supervisor.stop()


def test_dead_replicas_are_restarted_only_where_the_phase_supervises(tmp_path: Path) -> None:
    """V3 restarts a dead replica; V2 leaves it down."""
    for phase_id, expected in (("v3", ["replica-1"]), ("v2", [])):
        stack = _Stack(phase_id, {"replica-1": ("replica", _Server(running=False))})
        supervisor = _watching(stack, tmp_path)
        try:
            time.sleep(1.5)
        finally:
            supervisor.stop()
        assert stack.restarted == expected, phase_id


def test_a_primary_that_answers_is_left_alone(tmp_path: Path) -> None:
    """No failover while the primary answers its probes."""
    stack = _Stack("v4", {"postgres": ("store", _Server()), **_STANDBY})
    supervisor = _watching(stack, tmp_path)
    try:
        assert not stack.failed_over.wait(4.5)
    finally:
        supervisor.stop()
