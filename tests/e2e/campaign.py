"""Run a ``chaoslab`` campaign command (spof, capacity) on a real stack from a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reports.verdict import STALL_REASON
from tests.fixtures.servers import skip_unless_required

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("CHAOSLAB_E2E_ALL") == "1"
"""Whole maps and capacity searches take minutes: only with CHAOSLAB_E2E_ALL=1 (nox -s e2e)."""
STALL = STALL_REASON
"""How a report's invalid reason begins when Prometheus missed its own scrapes."""

R = TypeVar("R")


@dataclass
class Done:
    out: Path
    code: int
    output: str

    def json(self, name: str) -> dict[str, Any]:
        path = self.out / name
        assert path.is_file(), self.output[-3000:]
        data: dict[str, Any] = json.loads(path.read_text())
        return data


def stalled(run_dir: Path) -> str | None:
    """The run in ``run_dir`` is invalid only because the machine or Prometheus stalled (its
    report says so): that reason; otherwise None."""
    path = run_dir / "report.json"
    if not path.is_file():
        return None
    reasons: list[str] = json.loads(path.read_text()).get("invalid_reasons") or []
    if reasons and all(r.startswith(STALL) for r in reasons):
        return reasons[0]
    return None


def again_if_stalled(attempt: Callable[[Path], R], out: Path) -> R:
    """``attempt(out)``, and once more into ``OUT-again`` when the machine stalled under the
    first run (nothing was measured then: the report says invalid, a fact about the machine,
    not the lab). A warning names the stall; a second stall stands."""
    result = attempt(out)
    reason = stalled(out)
    if reason is None:
        return result
    warnings.warn(f"{out.name}: {reason}; ran it once more", stacklevel=2)
    return attempt(out.with_name(f"{out.name}-again"))


def chaoslab(workdir: Path, *args: str, out: Path, timeout: float = 1500) -> Done:
    """``python -m chaoslab ARGS --out OUT`` in ``workdir``, niced; a ``run`` the machine
    stalled under runs once more (``again_if_stalled``)."""
    if args and args[0] == "run":
        return again_if_stalled(lambda o: _chaoslab(workdir, *args, out=o, timeout=timeout), out)
    return _chaoslab(workdir, *args, out=out, timeout=timeout)


def _chaoslab(workdir: Path, *args: str, out: Path, timeout: float) -> Done:
    command = ["nice", "-n", "10", sys.executable, "-m", "chaoslab", *args, "--out", str(out)]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    output = done.stdout + done.stderr
    if done.returncode == 2 and "not found on PATH" in output:
        skip_unless_required(output.split(": ")[-1].split()[0], output.strip())
    return Done(out, done.returncode, output)
