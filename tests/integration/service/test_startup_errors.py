"""``python -m service`` refuses to start with one line on stderr and exit 2 when it
cannot listen (port taken, even by another service; foreign address) or its settings
are impossible, and logs ``listening`` only after it bound."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from lab.net import free_port
from tests.fixtures.service import ServiceProcess, ServiceUsers

ROOT = Path(__file__).resolve().parents[3]


def _run(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m service`` with ``env`` (on top of a clean environment)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PROMETHEUS_"))}
    return subprocess.run(
        [sys.executable, "-m", "service"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHAT_PORT", "70000"),
        ("CHAT_HOST", "999.1.1.1"),
        ("CHAT_STORE_URL", "mysql://x"),
        ("CHAT_REDIS_URL", "http://x"),
        ("CHAT_PROVIDERS", "[]"),
    ],
)
def test_impossible_settings_exit_2_naming_the_variable(name: str, value: str) -> None:
    """Each impossible value is one stderr line naming its variable, and exit 2."""
    result = _run({"CHAT_PORT": str(free_port()), name: value})
    assert result.returncode == 2, result.stderr
    assert _one_line(result).startswith(f"service: {name}: ")


def test_port_taken_by_a_plain_listener_exits_2() -> None:
    """A port another program listens on: ``cannot listen on H:P: <reason>``, exit 2,
    and no ``listening`` log line."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run({"CHAT_HOST": "127.0.0.1", "CHAT_PORT": str(port)})
    assert result.returncode == 2, result.stderr
    assert _one_line(result).startswith(f"service: cannot listen on 127.0.0.1:{port}: ")
    assert "listening" not in result.stdout


def test_foreign_address_exits_2() -> None:
    """An address this host does not have: one line and exit 2."""
    result = _run({"CHAT_HOST": "192.0.2.1", "CHAT_PORT": str(free_port())})
    assert result.returncode == 2, result.stderr
    assert _one_line(result).startswith("service: cannot listen on 192.0.2.1:")


def test_second_service_on_the_same_port_exits_2(
    service_process: Callable[..., ServiceProcess], service_users: ServiceUsers
) -> None:
    """A second service on a running service's port is refused (despite SO_REUSEPORT),
    and the first one logged ``listening`` once it served."""
    first = service_process(
        {"CHAT_API_KEYS": service_users.env(), "CHAT_RATE_TIERS": "default=100/60,tight=3/60"}
    )
    result = _run({"CHAT_HOST": "127.0.0.1", "CHAT_PORT": str(first.port)})
    assert result.returncode == 2, result.stderr
    assert "Address already in use" in _one_line(result)
    deadline = time.monotonic() + 15  # log lines are batched: the line may still be on its way
    while '"event":"listening"' not in first.log_text().replace(" ", ""):
        assert time.monotonic() < deadline, first.log_text()
        time.sleep(0.1)
