"""``chaoslab doctor`` reports what this machine has, with the right exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.binaries import BINARIES, probe


def _doctor(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "chaoslab", "doctor", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_doctor_lists_every_binary_and_its_version() -> None:
    """The JSON table has one row per known binary, with versions for those found."""
    done = _doctor("--json")
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert set(rows) == {b.name for b in BINARIES}
    for binary in BINARIES:
        found = probe(binary)
        assert rows[binary.name]["found"] is found.ok
        if found.ok:
            assert rows[binary.name]["version"] == found.version


def test_doctor_exits_zero_when_the_local_backend_is_complete() -> None:
    """Exit 0 exactly when every default-backend binary is present."""
    complete = all(probe(b).ok for b in BINARIES if b.default_backend)
    assert _doctor().returncode == (0 if complete else 1)


def test_doctor_exits_one_and_hints_when_redis_is_missing(tmp_path: Path) -> None:
    """With redis-server off PATH, doctor says MISSING, prints both install hints, exits 1."""
    python_dir = str(Path(sys.executable).parent)
    done = _doctor(path=f"{tmp_path}:{python_dir}")
    assert done.returncode == 1
    assert "MISSING" in done.stdout
    assert "apt-get install -y redis-server" in done.stdout
    assert "brew install redis" in done.stdout


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["doctor", "--help"]])
def test_cli_help_and_version(args: list[str]) -> None:
    """--help shows an example; --version prints the version."""
    done = subprocess.run(
        [sys.executable, "-m", "chaoslab", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert ("Example" in done.stdout) or ("version" in done.stdout)


def test_cli_bad_option_is_one_line_and_exit_2() -> None:
    """An unknown option exits 2 with a usage error, not a traceback."""
    done = _doctor("--bogus")
    assert done.returncode == 2
    assert "No such option" in done.stderr
    assert "Traceback" not in done.stderr
