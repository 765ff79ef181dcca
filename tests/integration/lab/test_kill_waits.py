"""``control.kill`` returns once the killed group has exited: a request sent right after it
meets a closed port, never a half-dead server that accepts the connection and dies with it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.net import free_port
from lab.proc import group_running, start_time
from lab.stack import control
from rundir import Component, ProcessControl, Stack, Targets, read_stack, write_stack

# A listening server of two processes (the parent and a forked child share the socket).
_SERVER = """
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
os.fork()
print("ready", flush=True)
time.sleep(120)
"""


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port)],
        start_new_session=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    yield process, port
    process.kill()
    process.wait(5)


def _stack(tmp_path: Path, pid: int) -> Stack:
    control_ = ProcessControl(pid=pid, pgid=pid, start=start_time(pid))
    stack = Stack(
        phase="v2",
        front_door="http://127.0.0.1:9",
        api_key="",
        targets=Targets(availability=0.99, latency_p95_s=4.0, ttft_p95_s=2.0),
        components=(Component(name="replica-1", kind="replica", control=control_),),
    )
    write_stack(tmp_path / "stack", stack)
    return read_stack(tmp_path / "stack")


def test_kill_returns_when_the_group_is_gone_and_its_port_refuses(
    tmp_path: Path, server: tuple[subprocess.Popen[str], int]
) -> None:
    """Both processes of the group have exited when ``kill`` returns, and a connection
    made at once is refused."""
    process, port = server
    assert len(group_running(process.pid)) == 2
    started = time.monotonic()
    control.kill(_stack(tmp_path, process.pid), "replica-1")
    assert group_running(process.pid) == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert time.monotonic() - started < control.KILL_WAIT_S
