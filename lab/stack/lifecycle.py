"""``up``, ``down`` and ``status``: the stack's life, backend by backend.

``up(..., foreground=False)`` on the local backend spawns ONE supervisor process
(``python -m lab.stack.supervisor``, its own session, output in ``STACK/supervisor.log``)
that owns every server, follows its progress through ``STACK/progress.jsonl`` and returns
the ``Stack`` once ``STACK/stack.json`` is written (everything ready). ``down`` from any
process asks that supervisor to stop (its control channel), then makes sure: every
process group in ``stack.json`` is resumed, terminated, killed if need be, and every
port it listened on is free. ``down`` is idempotent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Literal

import httpx

from lab.net import is_listening
from lab.phases import get_phase
from lab.proc import start_time
from lab.stack.errors import StackError
from lab.stack.processes import (
    is_ours,
    signal_group,
    stop_group,
    supervisor_of,
    token_header,
    wait_gone,
)
from lab.stack.progress import Progress, read_steps
from rundir import ProcessControl, RunDirError, Stack, read_stack
from rundir.layout import (
    ERROR_FILE,
    PARTS_DIR,
    PROGRESS_FILE,
    STACK_FILE,
    SUPERVISOR_LOG,
    SUPERVISOR_PID_FILE,
)

__all__ = ["down", "serve", "up"]

Backend = Literal["local", "compose", "external"]
_ROOT = Path(__file__).resolve().parents[2]
_children: dict[Path, subprocess.Popen[bytes]] = {}
_foreground: dict[Path, object] = {}


def up(
    phase: str,
    *,
    backend: Backend = "local",
    seed: int = 0,
    stack_dir: Path,
    foreground: bool = False,
    progress: Progress | None = None,
    timeout: float = 240.0,
    external_file: Path | None = None,
    allow_remote: bool = False,
) -> Stack:
    """Start the stack of ``phase`` (on ``external``: the lab's own Prometheus beside the
    stack the file describes); ``StackError`` with one line when it cannot."""
    stack_dir = stack_dir.resolve()
    extra: list[str] = []
    if backend == "external":
        from lab.stack.external import load_external

        if external_file is None:
            raise StackError("the external backend needs --targets FILE (a TOML or JSON of URLs)")
        get_phase(phase)
        load_external(external_file, allow_remote=allow_remote)  # one-line errors, early
        extra = ["--external", str(external_file.resolve())]
        extra += ["--allow-remote"] if allow_remote else []
    if backend == "compose":
        from lab.stack.compose import up_compose

        return up_compose(phase, stack_dir=stack_dir, seed=seed)
    from lab.stack.parts import check_binaries

    if backend == "local":
        check_binaries(get_phase(phase))  # PhaseError or a missing program: before any process
    _refuse_running(stack_dir)
    stack_dir.mkdir(parents=True, exist_ok=True)
    for stale in (STACK_FILE, PROGRESS_FILE, ERROR_FILE):
        (stack_dir / stale).unlink(missing_ok=True)
    if foreground and not extra:
        return _up_here(phase, seed=seed, stack_dir=stack_dir, progress=progress)
    return _spawn(
        phase, seed=seed, stack_dir=stack_dir, progress=progress, timeout=timeout, extra=extra
    )


def _refuse_running(stack_dir: Path) -> None:
    try:
        stack = read_stack(stack_dir)
    except RunDirError:
        return
    if is_ours(*supervisor_of(stack)):
        raise StackError(f"a stack already runs in {stack_dir}; stop it with `chaoslab down`")


def _up_here(phase: str, *, seed: int, stack_dir: Path, progress: Progress | None) -> Stack:
    from lab.stack.local import LocalStack
    from lab.stack.progress import StepWriter
    from lab.stack.supervisor import Supervisor

    writer = StepWriter(stack_dir, forward=progress)
    spec = get_phase(phase)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # like Ctrl-C: stop what started
    supervisor = Supervisor(
        lambda me: LocalStack(spec, stack_dir=stack_dir, seed=seed, progress=writer, supervisor=me),
        stack_dir=stack_dir,
    )
    supervisor.start()
    _foreground[stack_dir] = supervisor
    return read_stack(stack_dir)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def serve(stack_dir: Path) -> None:
    """Block while the foreground stack of ``stack_dir`` runs (until ``down``, from here or
    another shell); Ctrl-C stops it."""
    from lab.stack.supervisor import Supervisor

    supervisor = _foreground.get(stack_dir.resolve())
    if not isinstance(supervisor, Supervisor):
        return
    try:
        while not supervisor.stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        down(stack_dir)


def _spawn(
    phase: str,
    *,
    seed: int,
    stack_dir: Path,
    progress: Progress | None,
    timeout: float,
    extra: list[str] | None = None,
) -> Stack:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "lab.stack.supervisor", "--stack", str(stack_dir),
               "--phase", phase, "--seed", str(seed), *(extra or [])]  # fmt: skip
    with (stack_dir / SUPERVISOR_LOG).open("ab") as log:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env,
        )  # fmt: skip
    _children[stack_dir] = child
    # pid and start time: a later `down` signals it only while it is this very process
    identity = f"{child.pid} {start_time(child.pid) or ''}".strip()
    (stack_dir / SUPERVISOR_PID_FILE).write_text(f"{identity}\n", encoding="ascii")
    offset = 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            steps, offset = read_steps(stack_dir, offset=offset)
            for step in steps:
                if progress is not None:
                    progress(step)
                if step.state == "done":
                    return read_stack(stack_dir)
            if child.poll() is not None:
                raise StackError(_failure(stack_dir, child.returncode))
            if time.monotonic() > deadline:
                raise StackError(
                    f"the stack was not ready in {timeout:g}s; see {stack_dir / SUPERVISOR_LOG}"
                )
            time.sleep(0.05)
    except BaseException:
        down(stack_dir)
        raise


def _failure(stack_dir: Path, code: int) -> str:
    with contextlib.suppress(OSError):
        line = (stack_dir / ERROR_FILE).read_text(encoding="utf-8").strip()
        if line:
            return line
    return f"the supervisor exited with code {code}; see {stack_dir / SUPERVISOR_LOG}"


def down(stack_dir: Path, *, timeout: float = 40.0) -> None:
    """Stop everything the stack in ``stack_dir`` started; idempotent, never raises for a
    stack already gone. Frozen processes are resumed first."""
    stack_dir = stack_dir.resolve()
    supervisor = _foreground.pop(stack_dir, None)
    if supervisor is not None:
        supervisor.stop()  # type: ignore[attr-defined]
    try:
        stack: Stack | None = read_stack(stack_dir)
    except RunDirError:
        stack = None
    supervisor_pid, supervisor_start = _supervisor(stack_dir, stack)
    # only processes still the very ones recorded (pid + start time): a pid reused by
    # another process since is never signalled
    processes = [
        c.control
        for c in (stack.components if stack else ())
        if isinstance(c.control, ProcessControl) and c.kind != "supervisor"
    ]
    for control in processes:
        if is_ours(control.pid, control.start):
            signal_group(control.pgid, signal.SIGCONT)
    if (
        supervisor_pid is not None
        and supervisor_pid != os.getpid()
        and is_ours(supervisor_pid, supervisor_start)
    ):
        if stack is None:  # still starting: SIGTERM makes it stop what it started
            with contextlib.suppress(OSError):
                os.kill(supervisor_pid, signal.SIGTERM)
        else:
            _ask_stop(stack)
        starts = {supervisor_pid: supervisor_start} if supervisor_start is not None else None
        if not wait_gone([supervisor_pid], timeout, starts=starts):
            with contextlib.suppress(OSError):
                group = os.getpgid(supervisor_pid)
                stop_group(supervisor_pid, group, start=supervisor_start)
    child = _children.pop(stack_dir, None)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(5)
    for control in processes:
        if control.pid != os.getpid():
            stop_group(control.pid, control.pgid, start=control.start)
    if stack is not None:
        _wait_ports_free(stack)
    _remove_data(stack_dir)


def _supervisor(stack_dir: Path, stack: Stack | None) -> tuple[int | None, int | None]:
    """The supervisor's (pid, start time) from stack.json, else from its pid file."""
    if stack is not None:
        pid, start = supervisor_of(stack)
        if pid is not None:
            return pid, start
    with contextlib.suppress(OSError, ValueError):
        fields = (stack_dir / SUPERVISOR_PID_FILE).read_text(encoding="ascii").split()
        return int(fields[0]), (int(fields[1]) if len(fields) > 1 else None)
    return None, None


def _ask_stop(stack: Stack | None) -> None:
    if stack is None:
        return
    for part in stack.of_kind("supervisor"):
        if part.admin_url:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(f"{part.admin_url}/stop", timeout=2.0, headers=token_header(stack))


def _addresses(stack: Stack) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    urls = [c.url for c in stack.components] + [c.metrics_url for c in stack.components]
    urls += [f"tcp://{r.listen}" for r in stack.proxies]
    for url in urls:
        if not url:
            continue
        rest = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
        host, _, port = rest.rpartition(":")
        if port.isdigit() and host in ("127.0.0.1", "localhost"):
            found.append((host, int(port)))
    return found


def _wait_ports_free(stack: Stack, timeout: float = 10.0) -> None:
    if stack.backend != "local":
        return
    pending = set(_addresses(stack))
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        pending = {a for a in pending if is_listening(*a, timeout=0.2)}
        if pending:
            time.sleep(0.1)


def _remove_data(stack_dir: Path) -> None:
    import shutil

    for part_dir in (stack_dir / PARTS_DIR).glob("*"):
        for child in part_dir.glob("*"):
            if child.suffix == ".log":
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
