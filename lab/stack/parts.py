"""The local backend's building blocks: one supervised server as a stack part, the
stack's Prometheus, where PostgreSQL's template and work dirs go, which programs a phase
needs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lab.binaries import BinaryNotFound, find
from lab.phases import Phase
from lab.proc import start_time
from lab.servers import ManagedServer, PrometheusServer
from lab.stack.config import scrape_config
from lab.stack.errors import StackError
from rundir import Component, NoControl, ProcessControl
from rundir.layout import part_dir

__all__ = [
    "Part",
    "StackPrometheus",
    "check_binaries",
    "required_binaries",
    "store_dir",
    "template_cache",
]


def template_cache() -> Path:
    """Where the initdb template lives: ``$XDG_CACHE_HOME/chaoslab``; as root (PostgreSQL
    then runs as an unprivileged user, who cannot enter root's home) under the temp dir."""
    if os.geteuid() == 0:
        return Path(tempfile.gettempdir()) / "chaoslab-cache" / "pg-template"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chaoslab" / "pg-template"


def store_dir(stack_dir: Path, name: str) -> Path | None:
    """PostgreSQL's workdir: in the stack directory, or (as root) a temp dir the unprivileged
    server user can enter (``None``: the server makes and removes its own)."""
    return None if os.geteuid() == 0 else part_dir(stack_dir, name)


@dataclass
class Part:
    """One supervised server and how it appears in ``stack.json``."""

    name: str
    kind: str
    server: ManagedServer
    url: str | None = None
    region: str | None = None
    index: int | None = None
    admin_url: str | None = None
    metrics_url: str | None = None
    vendor: str | None = None
    provider: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def component(self) -> Component:
        pid = self.server.pid
        control = (
            ProcessControl(pid=pid, pgid=pid, start=start_time(pid))
            if pid is not None
            else NoControl()
        )
        return Component(
            name=self.name, kind=self.kind, url=self.url, control=control, region=self.region,
            index=self.index, admin_url=self.admin_url, metrics_url=self.metrics_url,
            log=str(self.server.log_path), vendor=self.vendor, provider=self.provider,
            extra=dict(self.extra),
        )  # fmt: skip


class StackPrometheus(PrometheusServer):
    def __init__(self, *, components: Callable[[], list[Component]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._components = components
        self.rule_files: list[str] = []
        self.file_sd: str | None = None

    def config(self) -> dict[str, object]:
        return scrape_config(
            self._components(),
            interval_s=self.scrape_interval,
            rule_files=self.rule_files,
            file_sd=self.file_sd,
        )

    def prepare(self) -> None:
        (self.workdir / "prometheus.yml").write_text(
            yaml.safe_dump(self.config(), sort_keys=False), encoding="utf-8"
        )


def required_binaries(phase: Phase) -> list[str]:
    """The external programs the local backend needs for ``phase``."""
    needed = ["redis-server", "prometheus"]
    if phase.store.kind == "postgres":
        needed += ["postgres", "initdb"]
        if phase.store.standby:
            needed += ["pg_basebackup", "pg_ctl"]
    if phase.total_replicas > 1:
        needed.append("haproxy")
    return needed


def check_binaries(phase: Phase) -> None:
    """``StackError`` naming the first missing program and how to install it."""
    for name in required_binaries(phase):
        try:
            find(name)
        except BinaryNotFound as missing:
            raise StackError(str(missing)) from None
