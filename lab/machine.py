"""How long this machine kept its processes waiting: Linux pressure stall information
(``/proc/pressure/{cpu,io,memory}``, totals in microseconds since boot) and the CPU time the
hypervisor stole (``/proc/stat``, clock ticks). A run reads both at its start and end; the
difference (``waited``) tells a stalled machine from a stalled stack.

On a kernel without pressure files (or outside Linux) a figure is ``None``, never an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from rundir.events import MachineWait

__all__ = ["MachineWait", "read", "waited"]

PROC = Path("/proc")


def read(proc: Path = PROC) -> MachineWait:
    """The machine's totals now, in seconds since boot."""
    cpu_some, _ = _pressure(proc / "pressure" / "cpu")
    io_some, io_full = _pressure(proc / "pressure" / "io")
    memory_some, memory_full = _pressure(proc / "pressure" / "memory")
    return MachineWait(cpu_s=cpu_some, io_s=io_some, io_full_s=io_full, memory_s=memory_some,
                       memory_full_s=memory_full, steal_s=_steal(proc / "stat"))  # fmt: skip


def waited(start: MachineWait, end: MachineWait) -> MachineWait:
    """Seconds of each kind of waiting between two readings (``None`` where either lacks it)."""
    values = {}
    for field in MachineWait.__struct_fields__:
        a, b = getattr(start, field), getattr(end, field)
        values[field] = None if a is None or b is None else round(max(b - a, 0.0), 3)
    return msgspec.convert(values, MachineWait)


def _pressure(path: Path) -> tuple[float | None, float | None]:
    """``(some, full)`` totals of one pressure file, in seconds."""
    try:
        text = path.read_text(encoding="ascii")
    except OSError:
        return None, None
    totals: dict[str, float] = {}
    for line in text.splitlines():
        kind, _, fields = line.partition(" ")
        for field in fields.split():
            key, _, value = field.partition("=")
            if key == "total" and value.isdigit():
                totals[kind] = int(value) / 1e6
    return totals.get("some"), totals.get("full")


def _steal(path: Path) -> float | None:
    """Seconds of CPU the hypervisor stole, summed over CPUs (``/proc/stat``'s 8th column)."""
    try:
        first = path.read_text(encoding="ascii").splitlines()[0].split()
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
    if first[0] != "cpu" or len(first) < 9 or not first[8].isdigit():
        return None
    return int(first[8]) / ticks
