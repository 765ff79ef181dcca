"""Locust in its own processes: standalone, or a master and N workers on loopback, and
``expect_workers`` more that join the master from elsewhere (``--master-bind-host``).

Locust's gevent patching does not mix with the lab's own code, so the runner never imports
it: it writes ``RUN/load/config.json`` and starts ``python -m locust -f
loadtests/locustfile.py`` with it. Output goes to ``RUN/load/locust-*.log``; Locust's CSV
stats to ``RUN/load/locust_*.csv`` and its final JSON to ``RUN/load/locust.json``. Every
process gets its own process group, so ``stop()`` leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from lab.net import LOOPBACK, free_port
from lab.proc import is_ours, start_time
from rundir.layout import (
    LOAD_DIR,
    LOCUST_LOG,
    LOCUST_MASTER_LOG,
    LOCUST_PIDS_FILE,
    LOCUST_STATS_PREFIX,
    STOP_FILE,
    locust_worker_log,
)

__all__ = [
    "LOCUSTFILE",
    "LocustRun",
    "check_master_bind",
    "stop_leftover_load",
    "write_stop",
]

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "loadtests" / "locustfile.py"


def check_master_bind(host: str, *, allow_remote: bool) -> None:
    """``ValueError`` (one line) for a master bound beyond loopback without consent."""
    import ipaddress

    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise ValueError(
            f"--master-bind-host {host} lets other machines reach the load's master; "
            "add --allow-remote to mean it"
        )


class LocustRun:
    """The Locust processes of one run (whoever starts them stops them)."""

    def __init__(
        self,
        *,
        run_dir: Path,
        config_path: Path,
        duration: float,
        workers: int = 0,
        ui_port: int | None = None,
        expect_workers: int = 0,
        master_bind_host: str = LOOPBACK,
        master_port: int | None = None,
        ui_keep_s: float = 0.0,
    ) -> None:
        self.run_dir = run_dir
        self.load_dir = run_dir / LOAD_DIR
        self.config_path = config_path
        self.duration = duration
        self.workers = workers
        self.ui_port = ui_port
        self.expect_workers = expect_workers
        self.master_bind_host = master_bind_host
        self.master_port = master_port
        self.ui_keep_s = ui_keep_s
        """With the web UI: how long its page stays up after the load ends."""
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def distributed(self) -> bool:
        return self.workers > 0 or self.expect_workers > 0

    @property
    def master_address(self) -> str | None:
        """``host:port`` a worker joins (this machine's name when bound to every address)."""
        if not self.distributed or self.master_port is None:
            return None
        host = self.master_bind_host
        if host in ("0.0.0.0", "::", "*"):
            host = socket.getfqdn()
        return f"{host}:{self.master_port}"

    def join_command(self) -> str | None:
        """The command that starts one more worker against this master."""
        if self.master_address is None:
            return None
        host, _, port = self.master_address.rpartition(":")
        return (
            "uv run locust -f loadtests/locustfile.py --worker "
            f"--master-host {host} --master-port {port}"
        )

    @property
    def ui_url(self) -> str | None:
        return f"http://{LOOPBACK}:{self.ui_port}" if self.ui_port else None

    def _command(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--lab-config",
            str(self.config_path),
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "0",  # the locustfile's stopping hook already waited for in-flight requests
            *extra,
        ]

    def _main_options(self) -> list[str]:
        runtime = f"{int(self.duration + 30)}s"  # a safety net: the shape stops the run first
        options = [
            "--csv",
            str(self.load_dir / LOCUST_STATS_PREFIX),
            "--json-file",
            str(self.load_dir / LOCUST_STATS_PREFIX),
            "--run-time",
            runtime,
            "--exit-code-on-error",
            "0",
        ]
        if self.ui_port:
            options += [
                "--web-host",
                LOOPBACK,
                "--web-port",
                str(self.ui_port),
                "--autostart",
                "--autoquit",
                str(max(1, round(self.ui_keep_s))),
            ]
        else:
            options += ["--headless", "--only-summary"]
        return options

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen[bytes]:
        self.load_dir.mkdir(parents=True, exist_ok=True)
        with (self.load_dir / log_name).open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        self.processes.append(process)
        return process

    def start(self) -> LocustRun:
        if not self.distributed:
            self._spawn(self._command(*self._main_options()), LOCUST_LOG)
            self._write_pids()
            return self
        port = self.master_port = self.master_port or free_port()
        wait = 60 if self.expect_workers == 0 else 180  # a person starts the remote ones
        self._spawn(
            self._command(
                "--master",
                "--master-bind-host",
                self.master_bind_host,
                "--master-bind-port",
                str(port),
                "--expect-workers",
                str(self.workers + self.expect_workers),
                "--expect-workers-max-wait",
                str(wait),
                *self._main_options(),
            ),
            LOCUST_MASTER_LOG,
        )
        for number in range(1, self.workers + 1):
            self._spawn(
                self._command("--worker", "--master-host", LOOPBACK, "--master-port", str(port)),
                locust_worker_log(self.run_dir, number).name,
            )
        self._write_pids()
        return self

    def pids(self) -> list[int]:
        """The Locust processes' pids (master and workers, or the one standalone)."""
        return [process.pid for process in self.processes]

    def _write_pids(self) -> None:
        # pid and start time each: a later cleanup signals only these very processes
        pids = [[process.pid, start_time(process.pid)] for process in self.processes]
        (self.load_dir / LOCUST_PIDS_FILE).write_text(json.dumps(pids), encoding="utf-8")

    def running(self) -> bool:
        return bool(self.processes) and self.processes[0].poll() is None

    def wait(self, timeout: float) -> int | None:
        """Wait for the main process (standalone or master); None on timeout."""
        if not self.processes:
            return None
        try:
            return self.processes[0].wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, *, grace: float = 10.0) -> None:
        """SIGTERM every Locust process group (the master first), SIGKILL after ``grace``."""
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        # workers whose master is gone: make sure no group outlives the run
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 15) -> str:
        name = LOCUST_MASTER_LOG if self.distributed else LOCUST_LOG
        try:
            text = (self.load_dir / name).read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def write_stop(run_dir: Path, at: float) -> None:
    """Tell the Locust shape when to stop (Unix time), in ``RUN/load/stop-at``."""
    path = run_dir / LOAD_DIR / STOP_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{at:.3f}", encoding="utf-8")
    tmp.replace(path)


def stop_leftover_load(run_dirs: list[Path]) -> list[int]:
    """SIGKILL the Locust process groups a killed runner left behind in ``run_dirs``
    (only processes that still run ``locust``); returns the pids stopped."""
    stopped: list[int] = []
    for run_dir in run_dirs:
        try:
            pids = json.loads((run_dir / LOAD_DIR / LOCUST_PIDS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for entry in pids:
            pid, start = (entry[0], entry[1]) if isinstance(entry, list) else (entry, None)
            try:
                command = Path(f"/proc/{int(pid)}/cmdline").read_bytes()
            except OSError:
                continue
            if b"locust" not in command or (start is not None and not is_ours(int(pid), start)):
                continue  # not Locust, or not the Locust recorded (its pid was reused)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(int(pid), signal.SIGKILL)
                stopped.append(int(pid))
    return stopped
