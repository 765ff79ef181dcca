"""``chaoslab toxiproxy --config``: the command serves the API with the file's proxies."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from lab.net import free_port


def test_config_is_populated_at_start(tmp_path: Path) -> None:
    """Proxies listed in --config exist as soon as the API answers; SIGTERM stops it."""
    listen_port = free_port()
    config = tmp_path / "proxies.json"
    config.write_text(
        json.dumps([{"name": "cfg", "listen": f"127.0.0.1:{listen_port}", "upstream": "x:1"}]),
        encoding="utf-8",
    )
    api_port = free_port()
    command = [sys.executable, "-m", "chaoslab", "toxiproxy", "--port", str(api_port),
               "--config", str(config)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        proxies = None
        deadline = time.monotonic() + 20
        while proxies is None and time.monotonic() < deadline:
            try:
                proxies = httpx.get(f"http://127.0.0.1:{api_port}/proxies", timeout=1).json()
            except httpx.TransportError:
                time.sleep(0.1)
        assert proxies is not None
        assert proxies["cfg"]["listen"] == f"127.0.0.1:{listen_port}"
        assert proxies["cfg"]["enabled"] is True
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_module_on_a_taken_port_prints_one_line() -> None:
    """python -m fakes.toxiproxy on a port in use exits 1 with one line, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "fakes.toxiproxy", "-port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "address already in use" in done.stderr
