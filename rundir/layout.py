"""Every path name of the lab's directories: where stacks and runs live, and (later in
this module) every file of a stack directory and of a run directory.

A **stack directory** holds what ``chaoslab up`` started (``.chaoslab/stacks/<time>-<phase>``,
``.chaoslab/current`` points at the last); a **run directory** holds one experiment
(``.chaoslab/runs/<time>-<phase>-<scenario>``). Nothing else in the project spells these
names: it imports them from here.
"""

from __future__ import annotations

import time
from pathlib import Path

__all__ = [
    "CAPACITY_DIR",
    "COMPARE_DIR",
    "CURRENT_LINK",
    "LAB_DIR",
    "RUNS_DIR",
    "SPOF_DIR",
    "STACKS_DIR",
    "new_dir",
    "stamp",
]

LAB_DIR = Path(".chaoslab")
"""Under the working directory: every stack, run and comparison the lab makes."""
STACKS_DIR = "stacks"
"""``.chaoslab/stacks/<UTC time>-<phase>``: one stack directory per ``chaoslab up``."""
RUNS_DIR = "runs"
"""``.chaoslab/runs/<UTC time>-<phase>-<scenario>``: one run directory per ``chaoslab run``."""
CURRENT_LINK = "current"
"""``.chaoslab/current``: a link to the last stack directory ``chaoslab up`` made."""
COMPARE_DIR = "compare"
"""``.chaoslab/compare/<UTC time>``: what ``chaoslab compare`` writes."""
SPOF_DIR = "spof"
"""``.chaoslab/spof/<UTC time>-<phase>``: one ``chaoslab spof`` campaign (a run per probe)."""
CAPACITY_DIR = "capacity"
"""``.chaoslab/capacity/<UTC time>``: one ``chaoslab capacity`` search (a run per step)."""


def stamp(t: float | None = None) -> str:
    """The UTC time a new directory is named after: ``2026-12-01T10-02-11``."""
    return time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(t))


def new_dir(parent: Path, name: str, *, mkdir: bool = True) -> Path:
    """``parent/<UTC time>-<name>`` (``-2``, ``-3``... when taken), made unless ``mkdir``
    is false; the one naming rule of stack, run and comparison directories."""
    base = parent / f"{stamp()}-{name}" if name else parent / stamp()
    path, suffix = base, 1
    while path.exists():
        suffix += 1
        path = base.with_name(f"{base.name}-{suffix}")
    if mkdir:
        path.mkdir(parents=True)
    return path
