"""A supervised local server process: start, stop, probe.

Every real server the lab or the tests run (Redis, PostgreSQL, Prometheus, HAProxy, the
fakes, the service) is one of these: a foreground process in its own process group, with
its output in a log file under its work directory, started on a loopback port and ready
only when its probe answers. ``stop()`` always reaps the whole group, so nothing outlives
the lab or a failed test.
"""

from __future__ import annotations

import abc
import http.client
import shutil
import signal
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from mirakuru import SimpleExecutor
from mirakuru.exceptions import ExecutorError

from lab.net import LOOPBACK, free_port, is_listening
from rundir.layout import part_log_name

__all__ = ["ManagedServer", "ServerStartError", "http_status"]


def http_status(host: str, port: int, path: str, *, timeout: float = 1.0) -> int | None:
    """The status of ``GET http://host:port/path``, or ``None`` when nothing answers.

    A bare ``http.client`` request: probes run every 50 ms while servers start, and an
    HTTP client library's per-call setup (an SSL context for httpx) costs more CPU than
    the probe itself on a busy machine."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


class ServerStartError(RuntimeError):
    """The server exited or did not become ready; the message carries its log's tail."""


class _ProbedExecutor(SimpleExecutor):
    """Runs the command and waits until the owner's ``probe()`` answers."""

    def __init__(self, owner: ManagedServer, command: Sequence[str], **kwargs: Any) -> None:
        super().__init__(list(command), **kwargs)
        self._owner = owner

    def start(self) -> Self:
        if self.process is None:
            super().start()
        self.wait_for(self._ready)
        return self

    def _ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise ServerStartError(f"exited with code {self.process.returncode}")
        return self._owner.probe()


class ManagedServer(abc.ABC):
    """Base of every supervised server. Subclasses give the command and the probe.

    Options are keyword-only; ``port=None`` picks a free loopback port; ``workdir=None``
    makes a temporary directory that ``stop()`` removes.
    """

    name: str = "server"
    stop_signal: int = signal.SIGTERM
    start_timeout: float = 30.0

    def __init__(
        self, *, host: str = LOOPBACK, port: int | None = None, workdir: Path | None = None
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port()
        self._own_workdir = workdir is None
        self.workdir = (
            workdir if workdir is not None else Path(tempfile.mkdtemp(prefix=f"lab-{self.name}-"))
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / part_log_name(self.name)
        self._log: IO[str] | None = None
        self._executor: _ProbedExecutor | None = None
        self._lifecycle = threading.RLock()
        """Held by ``start``, ``stop`` and ``kill``: a mirakuru executor is not safe to stop
        from one thread while another starts, kills or stops it (the supervisor stopping a
        stack while its watch thread restarts a replica left one stop without a process)."""

    # -- what subclasses provide ---------------------------------------------------------
    @abc.abstractmethod
    def command(self) -> list[str]:
        """The foreground command line."""

    @abc.abstractmethod
    def probe(self) -> bool:
        """Whether the server answers now. Never raises."""

    def prepare(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Work before the first start (write config, init a data dir)."""

    def env(self) -> dict[str, str]:
        """Extra environment variables for the process."""
        return {}

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        executor = self._executor  # read once: another thread may stop it meanwhile
        return executor is not None and bool(executor.running())

    @property
    def pid(self) -> int | None:
        executor = self._executor
        process = executor.process if executor is not None else None
        return None if process is None else int(process.pid)

    def start(self) -> Self:
        """Start and wait until ready; ``ServerStartError`` with the log tail otherwise, or
        at once when something already listens on the port."""
        with self._lifecycle:
            return self._start()

    def _start(self) -> Self:
        if self.running:
            return self
        if is_listening(self.host, self.port, timeout=0.2):
            # Another process owns the port: our server would fail to bind while the
            # probe, answered by the other one, reported it ready.
            raise ServerStartError(f"{self.name} on {self.address}: the port is already in use")
        self.prepare()
        self._log = self.log_path.open("a", encoding="utf-8")
        self._executor = _ProbedExecutor(
            self,
            self.command(),
            cwd=str(self.workdir),
            timeout=self.start_timeout,
            sleep=0.05,
            stop_signal=self.stop_signal,
            envvars=self.env(),
            stdin=None,
            stdout=self._log,
            stderr=self._log,
        )
        try:
            self._executor.start()
        except (ExecutorError, ServerStartError, OSError) as error:
            tail = self.log_tail()
            self._halt()
            raise ServerStartError(
                f"{self.name} on {self.address} did not start: {error}\n{tail}"
            ) from error
        return self

    def stop(self) -> None:
        """Stop the process group (escalating to SIGKILL) and remove a temporary workdir."""
        with self._lifecycle:
            self._halt()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the server at once (a crash, for chaos); ``start()`` brings it back."""
        with self._lifecycle:
            if self._executor is not None and self._executor.process is not None:
                self._executor.kill()
            self._close_log()

    def _halt(self) -> None:
        if self._executor is not None:
            try:
                self._executor.stop()
            except (ExecutorError, OSError):
                if self._executor.process is not None:
                    self._executor.kill()
            self._executor = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(
                self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except OSError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.address} {'running' if self.running else 'stopped'}>"
