"""``chaoslab fake`` refuses a port it cannot own, in one line, and says where it listens."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lab.net import free_port
from lab.servers import FakeLLMServer


def _run_fake(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m fakes.llm ARGS`` to completion (a fake that serves is killed at 20 s)."""
    return subprocess.run(
        [sys.executable, "-m", "fakes.llm", *args],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def test_port_held_by_another_listener_exits_2() -> None:
    """A port some other process listens on gives one line and exit 2, no panic or traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = _run_fake("openai", "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert "panicked" not in result.stderr


def test_second_fake_on_the_same_port_exits_2(tmp_path: Path) -> None:
    """A second fake on a running fake's port is refused (granian would share it: SO_REUSEPORT)."""
    with FakeLLMServer("openai", port=free_port(), seed=99, workdir=tmp_path) as first:
        result = _run_fake("openai", "--port", str(first.port), "--seed", "7")
        assert result.returncode == 2
        assert "already in use" in result.stderr
        seeds = {httpx.get(f"{first.admin_url}/_fake/health").json()["seed"] for _ in range(6)}
        assert seeds == {99}


def test_start_prints_one_line(tmp_path: Path) -> None:
    """On start the fake prints where it listens and its seed."""
    port = free_port()
    with FakeLLMServer("anthropic", port=port, seed=5, workdir=tmp_path) as fake:
        expected = f"fake anthropic listening on http://127.0.0.1:{port} (seed 5)"
        deadline = time.monotonic() + 10
        while expected not in fake.log_tail() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert expected in fake.log_tail()
