"""One chat service replica (``python -m service``) as a supervised server."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lab.servers.base import ManagedServer, http_status

__all__ = ["ServiceReplica"]

_ROOT = Path(__file__).resolve().parents[2]


class ServiceReplica(ManagedServer):
    """The chat service on one granian worker, configured by ``env`` (``CHAT_*``; the lab
    sets ``CHAT_HOST`` and ``CHAT_PORT``). Ready when ``/v1/ready`` answers 200, i.e. its
    required dependencies answer too."""

    name = "replica"
    start_timeout = 40.0

    def __init__(self, *, env: Mapping[str, str], name: str = "replica", **kwargs: Any) -> None:
        self.name = name
        super().__init__(**kwargs)
        self.service_env = dict(env)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "service"]

    def env(self) -> dict[str, str]:
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PROMETHEUS_"))
        }
        python_path = os.pathsep.join(filter(None, [str(_ROOT), inherited.get("PYTHONPATH")]))
        return {
            **inherited,
            "PYTHONPATH": python_path,
            **self.service_env,
            "CHAT_HOST": self.host,
            "CHAT_PORT": str(self.port),
            "CHAT_WORKERS": "1",
            "CHAT_INSTANCE": self.service_env.get("CHAT_INSTANCE", self.name),
        }

    def probe(self) -> bool:
        return http_status(self.host, self.port, "/v1/ready") == 200
