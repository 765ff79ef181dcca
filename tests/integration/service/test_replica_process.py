"""``python -m service`` as the lab runs a replica: one process, HTTP/1.1 connections that
must send a request head in bounded time, granian's log lines as JSON without the
embedded-mode warning, no worker respawned behind the lab's back, and the start-up
warnings a new user needs (no API key, a provider that cannot be reached, at start or
later)."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import psutil
import pytest

from lab.net import free_port
from service.__main__ import HEADER_READ_TIMEOUT_SECONDS
from tests.fixtures.fakes import start_fake
from tests.fixtures.service import ServiceProcess, ServiceUsers, provider_config

StartService = Callable[..., ServiceProcess]
DEAD_URL = f"http://127.0.0.1:{free_port()}/v1"
"""A provider URL nothing listens on."""


@pytest.fixture
def env(service_users: ServiceUsers, openai_only: tuple[Any, ...]) -> dict[str, str]:
    """Keys and the fake OpenAI; memory store, no Redis."""
    return {
        "CHAT_API_KEYS": service_users.env(),
        "CHAT_RATE_TIERS": "default=10000/60,tight=3/60",
        "CHAT_PROVIDERS": json.dumps([msgspec.to_builtins(p) for p in openai_only]),
    }


def _wait_closed(sockets: list[socket.socket], *, within: float) -> list[float]:
    """Seconds until each socket saw the server close it (EOF or reset); bounded."""
    started = time.monotonic()
    closed: dict[int, float] = {}
    for s in sockets:
        s.setblocking(False)
    while len(closed) < len(sockets) and time.monotonic() - started < within:
        time.sleep(0.2)
        for i, s in enumerate(sockets):
            if i in closed:
                continue
            try:
                if s.recv(1024) == b"":
                    closed[i] = time.monotonic() - started
            except BlockingIOError:
                continue
            except OSError:
                closed[i] = time.monotonic() - started
    return [closed.get(i, float("inf")) for i in range(len(sockets))]


@pytest.fixture(scope="module")
def replica() -> Iterator[ServiceProcess]:
    """One replica for the module's read-only tests: no API key configured, its only
    provider on a dead port (the start-up warnings' case), memory store, no Redis."""
    dead = provider_config("openai", "openai", DEAD_URL)
    service = ServiceProcess({"CHAT_PROVIDERS": json.dumps([msgspec.to_builtins(dead)])})
    service.start(timeout=60)
    try:
        yield service
    finally:
        service.stop()
        service.discard_log()


def test_connections_that_send_nothing_are_closed_in_bounded_time(
    replica: ServiceProcess,
) -> None:
    """30 connections that never send a byte, and a keep-alive connection idle after its
    answered request, are all closed by the server within the header-read timeout (plus
    slack for a loaded machine), none of them at once."""
    address = ("127.0.0.1", replica.port)
    silent = [socket.create_connection(address) for _ in range(30)]
    idle = socket.create_connection(address, timeout=10)
    try:
        idle.sendall(b"GET /v1/health HTTP/1.1\r\nhost: x\r\n\r\n")
        assert idle.recv(1024).startswith(b"HTTP/1.1 200")
        times = _wait_closed([*silent, idle], within=HEADER_READ_TIMEOUT_SECONDS + 20)
    finally:
        for s in [*silent, idle]:
            s.close()
    assert max(times) <= HEADER_READ_TIMEOUT_SECONDS + 20, times
    assert min(times) >= HEADER_READ_TIMEOUT_SECONDS / 2, times


def test_log_has_no_experimental_warning_and_only_json_lines(replica: ServiceProcess) -> None:
    """The start prints no "Embedded server is experimental!" and every line is JSON."""
    time.sleep(0.5)  # lines are written in batches every 0.1 s
    text = replica.log_text()
    assert "experimental" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines
    for line in lines:
        json.loads(line)  # raises on a plain-text line


def test_start_warns_of_no_api_key_and_an_unreachable_provider(replica: ServiceProcess) -> None:
    """No key configured and a provider on a dead port: two warnings, the second naming
    the provider and its URL."""
    deadline = time.monotonic() + 20
    events: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline and len(events) < 2:
        time.sleep(0.3)
        for line in replica.log_text().splitlines():
            record = json.loads(line)
            if record.get("event") in ("no_api_keys", "provider_unreachable"):
                events[record["event"]] = record
    assert set(events) == {"no_api_keys", "provider_unreachable"}, replica.log_tail()
    assert events["no_api_keys"]["level"] == "warning"
    assert "CHAT_API_KEYS" in events["no_api_keys"]["fix"]
    assert events["provider_unreachable"]["provider"] == "openai"
    assert events["provider_unreachable"]["url"] == DEAD_URL


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _children(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def test_a_replica_is_one_process_and_sigkill_ends_it(
    service_process: StartService, env: dict[str, str]
) -> None:
    """The replica has no child process; after SIGKILL nothing serves its port again."""
    service = service_process(env)
    assert service.proc is not None
    assert _children(service.proc.pid) == []
    os.kill(service.proc.pid, signal.SIGKILL)
    assert service.wait(timeout=10) == -signal.SIGKILL
    time.sleep(2.0)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", service.port), timeout=1).close()


@pytest.fixture
def multiproc_dir(tmp_path: Path) -> str:
    """An empty ``PROMETHEUS_MULTIPROC_DIR``."""
    directory = tmp_path / "prom"
    directory.mkdir()
    return str(directory)


def test_a_killed_worker_is_not_respawned(
    service_process: StartService, env: dict[str, str], multiproc_dir: str
) -> None:
    """With CHAT_WORKERS=2, SIGKILL of one worker ends the replica (exit 1) instead of a
    new worker appearing behind the lab's back."""
    service = service_process(
        {**env, "CHAT_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": multiproc_dir}, timeout=60
    )
    assert service.proc is not None
    deadline = time.monotonic() + 30
    workers = _children(service.proc.pid)
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _children(service.proc.pid)
    assert len(workers) >= 2
    before = {w.pid for w in workers}
    os.kill(workers[0].pid, signal.SIGKILL)
    code = service.wait(timeout=40)
    assert code == 1, service.log_tail()
    time.sleep(0.5)
    assert not [pid for pid in before if _alive(pid)]  # the other worker went with it
    assert "Respawning" not in service.log_text()


def _events(service: ServiceProcess, name: str) -> list[dict[str, Any]]:
    return [
        record
        for record in map(json.loads, service.log_text().splitlines())
        if record.get("event") == name
    ]


def test_a_provider_that_goes_down_is_logged_with_its_url(
    service_process: StartService, service_users: ServiceUsers
) -> None:
    """A provider reachable at start that stops answering is logged once as
    ``provider_unreachable`` with its URL, within a few probe intervals."""
    fake = start_fake("openai")
    try:
        provider = provider_config("openai", "openai", fake.base_url)
        service = service_process(
            {
                "CHAT_API_KEYS": f"{service_users.alice}:{service_users.alice_id}",
                "CHAT_PROVIDERS": json.dumps([msgspec.to_builtins(provider)]),
            },
            timeout=60,
        )
        time.sleep(1.0)
        assert _events(service, "provider_unreachable") == []
    finally:
        fake.stop()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _events(service, "provider_unreachable"):
        time.sleep(0.5)
    time.sleep(6)  # one more probe round: still one line, not one per probe
    logged = _events(service, "provider_unreachable")
    assert len(logged) == 1, service.log_tail()
    assert logged[0]["provider"] == "openai"
    assert logged[0]["url"] == fake.base_url
