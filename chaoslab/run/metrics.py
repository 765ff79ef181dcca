"""The runner's own Prometheus metric: which fault is active, for dashboards and reports.

``chaoslab_fault_active{fault,target,action}`` is 1 while a fault is on and 0 after. The
runner serves it on a free loopback port and writes a Prometheus ``file_sd`` entry (job
``chaoslab-runner``) into ``RUN/scrape/`` and the stack's ``scrape/`` directory; ``close()``
removes the entries it wrote.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from rundir.layout import runner_scrape_file

__all__ = ["RunnerMetrics"]


class RunnerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.fault_active = Gauge(
            "chaoslab_fault_active",
            "1 while a scenario's fault is active (0 once rolled back).",
            ["fault", "target", "action"],
            registry=self.registry,
        )
        self.port: int | None = None
        self._server: object | None = None
        self._written: list[Path] = []

    def set_fault(self, *, fault: str, target: str, action: str, active: bool) -> None:
        self.fault_active.labels(fault, target, action).set(1 if active else 0)

    def serve(self, *, name: str, scrape_dirs: list[Path]) -> int:
        server, _thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self._server = server
        self.port = int(server.server_port)
        entry = [
            {
                "targets": [f"127.0.0.1:{self.port}"],
                "labels": {"job": "chaoslab-runner", "run": name},
            }
        ]
        for directory in scrape_dirs:
            directory.mkdir(parents=True, exist_ok=True)
            path = runner_scrape_file(directory, name)
            path.write_text(json.dumps(entry), encoding="utf-8")
            self._written.append(path)
        return self.port

    def close(self) -> None:
        for path in self._written:
            path.unlink(missing_ok=True)
        server = self._server
        if server is not None:
            with contextlib.suppress(Exception):
                server.shutdown()  # type: ignore[attr-defined]
                server.server_close()  # type: ignore[attr-defined]
