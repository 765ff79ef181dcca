"""Run a ``chaoslab`` campaign command (spof, capacity) on a real stack from a test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.servers import skip_unless_required

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("CHAOSLAB_E2E_ALL") == "1"
"""Whole maps and capacity searches take minutes: only with CHAOSLAB_E2E_ALL=1 (nox -s e2e)."""


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


def chaoslab(workdir: Path, *args: str, out: Path, timeout: float = 1500) -> Done:
    """``python -m chaoslab ARGS --out OUT`` in ``workdir``, niced."""
    command = ["nice", "-n", "10", sys.executable, "-m", "chaoslab", *args, "--out", str(out)]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    output = done.stdout + done.stderr
    if done.returncode == 2 and "not found on PATH" in output:
        skip_unless_required(output.split(": ")[-1].split()[0], output.strip())
    return Done(out, done.returncode, output)
