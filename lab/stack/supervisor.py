"""The supervisor: the one process that owns a local stack.

``python -m lab.stack.supervisor --stack STACK --phase v3 --seed 7`` starts the stack
(``LocalStack``), writes ``STACK/stack.json`` once everything is ready, then watches it:

- a dead replica is started again on the same port when the phase says ``supervise``;
- on a phase with a standby store, a primary that died, or that stopped answering
  (three failed probes a second apart: frozen, hung), is failed over (standby promoted,
  every replica's store proxy pointed at it and enabled);
- a loopback HTTP control channel (the ``supervisor`` component's ``admin_url``) lets
  other processes act on the servers it owns:

  - ``GET /status``: JSON, per component: alive, pid, restarts;
  - ``POST /restart/<name>``: kill (if alive) and start one component again; 200 with its
    new pid once it is ready; 404 for an unknown name;
  - ``POST /stop``: stop the whole stack and exit (what ``chaoslab down`` calls);
  - ``GET /metrics``: ``chaoslab_component_up``, ``chaoslab_restarts_total``,
    ``chaoslab_store_failovers_total`` (Prometheus scrapes it: job ``supervisor``).

SIGTERM or SIGINT stop the stack too. A start failure writes one line to ``STACK/error.txt``
and exits 2.

A little over 300 lines: the watch loop and the control channel share one state.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lab.net import LOOPBACK
from lab.phases import PhaseError, get_phase
from lab.proc import start_time
from lab.stack.errors import StackError
from lab.stack.local import LocalStack
from lab.stack.processes import TOKEN_HEADER
from lab.stack.progress import Step, StepWriter
from rundir import Component, ProcessControl
from rundir.layout import ERROR_FILE, SUPERVISOR_LOG

__all__ = ["Supervisor", "main"]

_POLL_S = 0.25
_PRIMARY_MISSES = 3
"""Consecutive failed probes (one a second) of a live primary before the failover."""
_RESTART_WAIT_S = 60.0
"""How long a stop waits for a restart under way (a replica's start is bounded by 30 s)."""


class Supervisor:
    """Runs a ``LocalStack``: control channel, restarts, failover, stop."""

    def __init__(self, stack_factory: Any, *, stack_dir: Path) -> None:
        self.stack_dir = stack_dir
        self.http = ThreadingHTTPServer((LOOPBACK, 0), _Handler)
        self.http.daemon_threads = True
        self.http.supervisor = self  # type: ignore[attr-defined]
        port = self.http.server_address[1]
        self.url = f"http://{LOOPBACK}:{port}"
        pid = os.getpid()
        self.component = Component(
            name="supervisor", kind="supervisor", url=self.url,
            control=ProcessControl(pid=pid, pgid=os.getpgid(pid), start=start_time(pid)),
            admin_url=self.url,
            metrics_url=f"{self.url}/metrics", log=str(stack_dir / SUPERVISOR_LOG),
        )  # fmt: skip
        self.stack: LocalStack = stack_factory(self.component)
        self.restarts: dict[str, int] = {}
        self.failovers = 0
        self.stopped = threading.Event()
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._part_locks: dict[str, threading.Lock] = {}
        self._serving = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Serve the control channel, start the stack, then watch it (in threads)."""
        self._serving = True
        self._spawn(self.http.serve_forever)
        try:
            self.stack.start()
        except BaseException:
            self.http.shutdown()
            self.http.server_close()
            raise
        self._spawn(self._watch)

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _watch(self) -> None:
        phase = self.stack.phase
        primary = self.stack.parts.get("postgres") if phase.store.standby else None
        misses = 0
        next_probe = 0.0
        while not self.stopped.wait(_POLL_S):
            for part in list(self.stack.parts.values()):
                if self.stopped.is_set() or part.server.running:
                    continue
                if part.kind == "replica" and phase.supervise:
                    self._restart_async(part.name)
            if primary is None or self.stack.promoted or self.stopped.is_set():
                continue
            if not primary.server.running:
                self._failover_async()
            elif time.monotonic() >= next_probe:
                # alive but silent (frozen, hung): fail over after _PRIMARY_MISSES probes
                next_probe = time.monotonic() + 1.0
                misses = 0 if primary.server.probe() else misses + 1
                if misses >= _PRIMARY_MISSES:
                    self._failover_async()

    def _restart_async(self, name: str) -> None:
        with self._lock:
            if name in self._busy:
                return
            self._busy.add(name)
        self._spawn(self._restart_guarded, name)

    def _restart_guarded(self, name: str) -> None:
        try:
            self.restart(name, only_if_dead=True)
        except StackError as error:
            self.stack.progress(Step(name=name, state="failed", detail=str(error)))
            time.sleep(1.0)  # do not spin on a replica that cannot start
        finally:
            with self._lock:
                self._busy.discard(name)

    def restart(self, name: str, *, only_if_dead: bool = False) -> Component:
        """Kill and start ``name`` again (one restart at a time per component)."""
        with self._lock:
            lock = self._part_locks.setdefault(name, threading.Lock())
        with lock:
            if self.stopped.is_set():
                raise StackError("the stack is stopping")
            part = self.stack.parts[name]
            if only_if_dead and part.server.running:
                return part.component()
            component = self.stack.restart(name)
            self.restarts[name] = self.restarts.get(name, 0) + 1
            return component

    def _failover_async(self) -> None:
        if "postgres-standby" not in self.stack.parts:
            return
        with self._lock:
            if "failover" in self._busy:
                return
            self._busy.add("failover")
        self._spawn(self._failover)

    def _failover(self) -> None:
        try:
            self.stack.failover_store()
            self.failovers += 1
        except Exception as error:
            self.stack.progress(Step(name="postgres-standby", state="failed", detail=str(error)))
        finally:
            with self._lock:
                self._busy.discard("failover")

    def stop(self) -> None:
        """Stop watching, stop every server, close the control channel; idempotent."""
        if self.stopped.is_set():
            return
        self.stopped.set()
        # a restart already under way finishes first (a later one sees ``stopped``), so no
        # replica is started again behind the stack's stop
        with self._lock:
            locks = list(self._part_locks.values())
        for lock in locks:
            if lock.acquire(timeout=_RESTART_WAIT_S):
                lock.release()
        self.stack.stop()
        self.stack.remove_data()
        if self._serving:  # shutdown() waits for serve_forever: only when it runs
            self.http.shutdown()
        self.http.server_close()

    def status(self) -> dict[str, Any]:
        return {
            name: {
                "alive": part.server.running,
                "pid": part.server.pid,
                "restarts": self.restarts.get(name, 0),
            }
            for name, part in self.stack.parts.items()
        }

    def metrics(self) -> str:
        lines = [
            "# HELP chaoslab_component_up Whether the component's process is alive.",
            "# TYPE chaoslab_component_up gauge",
        ]
        for name, part in self.stack.parts.items():
            up = 1 if part.server.running else 0
            lines.append(f'chaoslab_component_up{{component="{name}",kind="{part.kind}"}} {up}')
        lines += [
            "# HELP chaoslab_restarts_total Restarts of a component by the supervisor.",
            "# TYPE chaoslab_restarts_total counter",
        ]
        for name, part in self.stack.parts.items():
            if part.kind == "replica":
                count = self.restarts.get(name, 0)
                lines.append(f'chaoslab_restarts_total{{component="{name}"}} {count}')
        lines += [
            "# HELP chaoslab_store_failovers_total Store failovers to the standby.",
            "# TYPE chaoslab_store_failovers_total counter",
            f"chaoslab_store_failovers_total {self.failovers}",
        ]
        return "\n".join(lines) + "\n"


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def supervisor(self) -> Supervisor:
        sup: Supervisor = self.server.supervisor  # type: ignore[attr-defined]
        return sup

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/metrics":
            self._send(200, self.supervisor.metrics(), "text/plain; version=0.0.4")
        elif self.path == "/status":
            self._send(200, self.supervisor.status())
        else:
            self._send(404, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:
        token = self.supervisor.stack.token
        given = self.headers.get(TOKEN_HEADER) or ""
        if not token or not secrets.compare_digest(given.encode(), token.encode()):
            self._send(
                401, {"error": f"the control channel needs the stack's token ({TOKEN_HEADER})"}
            )
            return
        if self.path == "/stop":
            self._send(202, {"stopping": True})
            threading.Thread(target=_stop_and_exit, args=(self.supervisor,)).start()
        elif self.path.startswith("/restart/"):
            name = self.path.removeprefix("/restart/")
            if name not in self.supervisor.stack.parts:
                self._send(404, {"error": f"no component {name!r}"})
                return
            try:
                component = self.supervisor.restart(name)
            except StackError as error:
                self._send(409, {"error": str(error)})
                return
            control = component.control
            pid = control.pid if isinstance(control, ProcessControl) else None
            self._send(200, {"name": name, "pid": pid})
        else:
            self._send(404, {"error": f"no route {self.path}"})


_exit_event = threading.Event()


class _Aborted(BaseException):
    """SIGTERM/SIGINT while the stack starts: unwind (``LocalStack.start`` stops what
    started) instead of leaving servers without an owner."""


def _abort_start(*_: object) -> None:
    raise _Aborted


def _stop_and_exit(supervisor: Supervisor) -> None:
    supervisor.stop()
    _exit_event.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.stack.supervisor")
    parser.add_argument("--stack", dest="stack_dir", type=Path, required=True)
    parser.add_argument("--phase", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--external", type=Path, default=None, help="external targets file")
    parser.add_argument("--allow-remote", action="store_true")
    args = parser.parse_args(argv)
    stack_dir: Path = args.stack_dir.resolve()
    stack_dir.mkdir(parents=True, exist_ok=True)
    writer = StepWriter(stack_dir)
    try:
        phase = get_phase(args.phase)

        def make(me: Component) -> LocalStack:
            options: dict[str, Any] = {
                "stack_dir": stack_dir, "seed": args.seed, "progress": writer, "supervisor": me,
            }  # fmt: skip
            if args.external is not None:
                from lab.stack.external_local import ExternalStack

                return ExternalStack(
                    phase, targets_file=args.external, allow_remote=args.allow_remote, **options
                )
            return LocalStack(phase, **options)

        supervisor = Supervisor(make, stack_dir=stack_dir)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _abort_start)  # while starting: stop what started, exit
        supervisor.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: _exit_event.set())
    except _Aborted:
        writer(Step(name="stack", state="failed", detail="stopped while starting"))
        return 1
    except (PhaseError, StackError, OSError) as error:
        message = " ".join(str(error).split())
        (stack_dir / ERROR_FILE).write_text(message + "\n", encoding="utf-8")
        writer(Step(name="stack", state="failed", detail=message))
        return 2
    writer(Step(name="stack", state="done", detail=supervisor.stack.front_door))
    _exit_event.wait()
    supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
