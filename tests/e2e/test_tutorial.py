"""Every command of docs/tutorial.md runs and exits as the tutorial says (about 30 min: only
with CHAOSLAB_E2E_ALL=1, ``nox -s e2e``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.campaign import LONG, ROOT

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(not LONG, reason="the whole tutorial takes ~30 min: CHAOSLAB_E2E_ALL=1"),
]


def test_every_tutorial_command_runs() -> None:
    """scripts/tutorial.py --check: each command, in order, in a fresh directory."""
    done = subprocess.run(
        ["nice", "-n", "10", sys.executable, str(ROOT / "scripts" / "tutorial.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=3500,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
