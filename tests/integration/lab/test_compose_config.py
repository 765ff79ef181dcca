"""`docker compose config` accepts the generated per-phase files where a compose client
exists (no engine needed); skipped otherwise (this machine has no compose plugin)."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from lab.phases import load_phases
from lab.stack.compose import PHASES_DIR

PHASES = list(load_phases().values())


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client on PATH")
@pytest.mark.parametrize("phase", PHASES, ids=lambda p: p.id)
def test_docker_compose_config_accepts_the_file(phase: Any) -> None:
    """`docker compose config -q` (or docker-compose) accepts the file where a compose
    client exists (no engine needed)."""
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    if plugin.returncode != 0:
        pytest.skip("docker has no compose plugin here")
    done = subprocess.run(
        ["docker", "compose", "-f", str(PHASES_DIR / f"{phase.id}.yml"), "config", "-q"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
