"""`chaoslab up` returns with the stack running under its supervisor; `status` and
`down` from other processes find it through .chaoslab/current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from lab.binaries import BinaryNotFound, find
from rundir import read_stack
from tests.e2e.stack import leftovers
from tests.fixtures.servers import skip_unless_required

# A whole stack starts in the module's first test: bound it for a busy 2-core machine.
pytestmark = pytest.mark.timeout(420)


def _chaoslab(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaoslab", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name in ("redis-server", "postgres", "prometheus"):
        try:
            find(name)
        except BinaryNotFound as missing:
            skip_unless_required(name, str(missing))
    return tmp_path


def test_up_status_down_from_separate_processes(workdir: Path) -> None:
    """up (one process) prints the curl and returns; the stack keeps answering; status
    (another process) sees it up; down (a third) leaves no process and no port."""
    current = workdir / ".chaoslab" / "current"
    try:
        started = _chaoslab(workdir, "up", "--phase", "v1", "--seed", "3")
        assert started.returncode == 0, started.stdout + started.stderr
        assert "stop: chaoslab down" in started.stdout
        assert "curl -s http://127.0.0.1:" in started.stdout
        stack = read_stack(current.resolve())
        ready = httpx.get(f"{stack.front_door}/v1/ready", timeout=5)
        assert ready.status_code == 200
        shown = _chaoslab(workdir, "status", timeout=60)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert "replica-1" in shown.stdout
    finally:
        stopped = _chaoslab(workdir, "down", timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert "already" not in stopped.stdout
    processes, ports = leftovers(read_stack(current.resolve()))
    assert processes == []
    assert ports == []
    again = _chaoslab(workdir, "status", timeout=60)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().count("\n") == 0
    assert "is stopped" in again.stdout
    twice = _chaoslab(workdir, "down", timeout=120)
    assert twice.returncode == 0, twice.stderr
    assert twice.stdout.startswith("already stopped: ")


def _processes_under(run_dir: Path) -> list[int]:
    """Pids whose working directory is inside ``run_dir`` (every server the stack starts
    runs in ``RUN/parts/<name>``)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = (proc / "cwd").resolve()
        except OSError:
            continue
        if cwd.is_relative_to(run_dir.resolve()):
            found.append(int(proc.name))
    return found


def test_an_up_that_gives_up_stops_what_it_started(workdir: Path) -> None:
    """up() with a 2 s timeout fails with one line, and the supervisor, told to stop while
    starting, stops every server it had started."""
    import time

    from lab.stack import StackError, up

    run_dir = workdir / "run"
    with pytest.raises(StackError, match="not ready in 2s"):
        up("v1", stack_dir=run_dir, timeout=2)
    deadline = time.monotonic() + 60
    while _processes_under(run_dir) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_under(run_dir) == []


@pytest.mark.parametrize("stop_signal", ["SIGINT", "SIGTERM"])
def test_a_foreground_stack_stops_on_a_signal(workdir: Path, stop_signal: str) -> None:
    """`up --foreground` stays attached; Ctrl-C (or SIGTERM) stops every server it started
    and exits 0."""
    import signal
    import time

    run_dir = workdir / "run"
    log = (workdir / "up.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaoslab", "up", "--phase", "v1", "--foreground",
         "--stack", str(run_dir)],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 150
        while (
            time.monotonic() < deadline and "stop: Ctrl-C" not in (workdir / "up.log").read_text()
        ):
            assert proc.poll() is None, (workdir / "up.log").read_text()
            time.sleep(0.2)
        stack = read_stack(run_dir)
        assert httpx.get(f"{stack.front_door}/v1/ready", timeout=5).status_code == 200
        proc.send_signal(getattr(signal, stop_signal))
        assert proc.wait(90) == 0, (workdir / "up.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    processes, ports = leftovers(stack)
    assert processes == []
    assert ports == []


def test_down_cleans_up_after_a_killed_supervisor(workdir: Path) -> None:
    """With the supervisor SIGKILLed (its servers orphaned), down still stops every
    process group listed in stack.json and frees every port."""
    import os
    import signal

    from lab.stack import down, up

    run_dir = workdir / "run"
    stack = up("v1", stack_dir=run_dir)
    try:
        assert stack.supervisor_pid is not None
        os.kill(stack.supervisor_pid, signal.SIGKILL)
    finally:
        down(run_dir)
    processes, ports = leftovers(stack)
    assert processes == []
    assert ports == []


def test_up_refuses_while_the_current_stack_runs_and_down_all_stops_every_stack(
    workdir: Path,
) -> None:
    """A second `up` while the current stack runs: exit 2 naming it (no orphan); with
    --fresh a second stack starts; `down --all` stops both."""
    stacks: list[Path] = []
    try:
        first = _chaoslab(workdir, "up", "--phase", "v1")
        assert first.returncode == 0, first.stdout + first.stderr
        stacks.append((workdir / ".chaoslab" / "current").resolve())
        again = _chaoslab(workdir, "up", "--phase", "v1", timeout=60)
        assert again.returncode == 2, again.stdout + again.stderr
        assert f"a stack already runs in {stacks[0]}" in again.stderr
        assert (workdir / ".chaoslab" / "current").resolve() == stacks[0]
        second = _chaoslab(workdir, "up", "--phase", "v1", "--fresh")
        assert second.returncode == 0, second.stdout + second.stderr
        stacks.append((workdir / ".chaoslab" / "current").resolve())
        assert stacks[0] != stacks[1]
    finally:
        stopped = _chaoslab(workdir, "down", "--all", timeout=240)
    assert stopped.returncode == 0, stopped.stderr
    for stack_dir in stacks:
        processes, ports = leftovers(read_stack(stack_dir))
        assert processes == []
        assert ports == []
    assert _chaoslab(workdir, "down", "--all", timeout=60).stdout.startswith("no running stack")
