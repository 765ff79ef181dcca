"""``FakeProcess``: one fake served by granian in a child process, for tests, lab and benches."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import httpx
import msgspec

from fakes.llm.client import FakeAdmin

__all__ = ["FakeProcess", "FakeStartError"]


class FakeStartError(RuntimeError):
    """The fake did not come up; the message carries the tail of its output."""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class FakeProcess:
    """A fake provider in its own process (``python -m fakes.llm``), stopped by ``stop()``.

    ``faults`` is a configuration (sent as a JSON file) or the path of a JSON/YAML file.
    ``base_url`` is what the vendor SDK takes (OpenAI: ``http://H:P/v1``; Anthropic:
    ``http://H:P``); ``admin_url`` is the root of the admin API (``http://H:P``).
    """

    def __init__(
        self,
        vendor: Literal["openai", "anthropic"],
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        seed: int = 0,
        faults: Mapping[str, Any] | Path | None = None,
        workers: int = 1,
        log_dir: Path | None = None,
    ) -> None:
        self.vendor = vendor
        self.host = host
        self.port = port if port is not None else _free_port(host)
        self.seed = seed
        self.faults: dict[str, Any] | Path | None = (
            faults if isinstance(faults, Path) or faults is None else dict(faults)
        )
        self.workers = workers
        self._log_dir = log_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._admin: FakeAdmin | None = None
        self._own_dir: Path | None = None

    @property
    def admin_url(self) -> str:
        """Root URL of the fake (admin API under ``/_fake``, metrics at ``/metrics``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The base URL the vendor's SDK takes."""
        root = self.admin_url
        return f"{root}/v1" if self.vendor == "openai" else root

    @property
    def admin(self) -> FakeAdmin:
        """An admin client bound to this fake."""
        if self._admin is None:
            self._admin = FakeAdmin(self.admin_url)
        return self._admin

    def start(self, *, timeout: float = 20.0) -> FakeProcess:
        """Start the process and wait until it answers ``GET /_fake/health``."""

        log_dir = self._log_dir
        if log_dir is None:
            log_dir = self._own_dir = Path(tempfile.mkdtemp(prefix=f"fake-{self.vendor}-"))
        self._log_path = log_dir / f"fake-{self.vendor}-{self.port}.log"
        cmd = [sys.executable, "-m", "fakes.llm", self.vendor]
        cmd += ["--host", self.host, "--port", str(self.port), "--seed", str(self.seed)]
        cmd += ["--workers", str(self.workers)]
        env = dict(os.environ)
        if isinstance(self.faults, Path):
            cmd += ["--faults", str(self.faults)]
        elif self.faults is not None:
            faults_file = log_dir / f"faults-{self.port}.json"
            faults_file.write_bytes(msgspec.json.encode(self.faults))
            cmd += ["--faults", str(faults_file)]
        with self._log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                tail = self._tail()
                self.stop()
                raise FakeStartError(f"fake exited with {code}: {tail}")
            try:
                if httpx.get(f"{self.admin_url}/_fake/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        tail = self._tail()
        self.stop()
        raise FakeStartError(f"fake did not answer within {timeout}s: {tail}")

    def _tail(self) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")[-2000:]

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL to its own process group). Idempotent."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout)
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> FakeProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_faults(self, faults: Mapping[str, Any]) -> None:
        """Replace the fault configuration (``PUT /_fake/faults``)."""
        self.admin.set_faults(faults)

    def get_faults(self) -> dict[str, Any]:
        """The configuration in force."""
        return self.admin.get_faults()

    def reset(self) -> None:
        """Clear faults and state (``POST /_fake/reset``)."""
        self.admin.reset()

    def metrics_text(self) -> str:
        """The Prometheus exposition of ``/metrics``."""
        return self.admin.metrics_text()
