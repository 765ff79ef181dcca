"""A fake LLM provider (``python -m fakes.llm``) as a supervised server."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

from fakes.llm.app import ENV_ADMIN_TOKEN
from fakes.llm.client import FakeAdmin
from lab.servers.base import ManagedServer, http_status

__all__ = ["FakeLLMServer", "Vendor"]

Vendor = Literal["openai", "anthropic"]


class FakeLLMServer(ManagedServer):
    """One fake OpenAI or Anthropic API served by granian in a child process.

    ``faults`` is a fault configuration (written to a JSON file in the workdir) or the path of
    a JSON/YAML file; ``header_timeout_s`` closes connections that send no whole request head
    in that time (default: the fake's, 30 s); ``models`` are the model names served (default:
    the vendor's list, ``fakes.llm.app.default_models``; ``"*"`` among them serves any name);
    ``base_url`` is what the vendor SDK takes (OpenAI: ``http://H:P/v1``,
    Anthropic: ``http://H:P``); ``admin_url`` is the root of the admin API.
    ``request_log`` is a file the fake appends one JSON line to per chat request
    (``rundir.UpstreamRecord``); ``mark`` (0..15) marks every answer piece it serves
    (``fakes.llm.mark``); ``baseline_latency`` (a latency section of the fault API) is its
    normal speed, kept when faults are cleared; ``profile`` names a provider profile
    (``fakes.llm.profiles``: its speed and answer lengths drawn per request);
    ``admin_token`` makes the fault API (``/_fake``) take that token (``FakeAdmin(token=)``).
    """

    name = "fake-llm"
    start_timeout = 20.0

    def __init__(
        self,
        vendor: Vendor,
        *,
        seed: int = 0,
        faults: Mapping[str, Any] | Path | None = None,
        workers: int = 1,
        header_timeout_s: float | None = None,
        models: Sequence[str] | None = None,
        request_log: Path | None = None,
        mark: int | None = None,
        baseline_latency: Mapping[str, Any] | None = None,
        profile: str | None = None,
        admin_token: str | None = None,
        **kwargs: Any,
    ) -> None:
        if vendor not in ("openai", "anthropic"):
            raise ValueError(f"unknown vendor {vendor!r}: choose openai or anthropic")
        if models is not None and not [m for m in models if m.strip()]:
            raise ValueError("models: name at least one model (or '*')")
        if models is not None and any("," in m for m in models):
            raise ValueError(f"models: a model name cannot contain ',' ({models!r})")
        if header_timeout_s is not None and not header_timeout_s > 0:
            raise ValueError(f"header_timeout_s must be more than 0, not {header_timeout_s}")
        if mark is not None and (isinstance(mark, bool) or mark not in range(16)):
            raise ValueError(f"mark must be an integer from 0 to 15, not {mark!r}")
        self.name = f"fake-{vendor}"
        super().__init__(**kwargs)
        self.vendor: Vendor = vendor
        self.seed = seed
        self.faults: dict[str, Any] | Path | None = (
            faults if isinstance(faults, Path) or faults is None else dict(faults)
        )
        self.workers = workers
        self.header_timeout_s = header_timeout_s
        self.models: tuple[str, ...] | None = None if models is None else tuple(models)
        self.request_log = None if request_log is None else Path(request_log).absolute()
        self.mark = mark
        self.baseline_latency = None if baseline_latency is None else dict(baseline_latency)
        self.profile = profile
        self.admin_token = admin_token
        self._admin: FakeAdmin | None = None

    @property
    def admin_url(self) -> str:
        """Root URL of the fake (admin API under ``/_fake``, metrics at ``/metrics``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The base URL the vendor's SDK takes."""
        return f"{self.admin_url}/v1" if self.vendor == "openai" else self.admin_url

    @property
    def admin(self) -> FakeAdmin:
        """An admin client bound to this fake (closed by ``stop()``)."""
        if self._admin is None:
            self._admin = FakeAdmin(self.admin_url, token=self.admin_token)
        return self._admin

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "fakes.llm", self.vendor, "--host", self.host]
        command += ["--port", str(self.port), "--seed", str(self.seed)]
        command += ["--workers", str(self.workers)]
        if self.models is not None:
            command += ["--models", ",".join(self.models)]
        if self.request_log is not None:
            command += ["--request-log", str(self.request_log)]
        if self.mark is not None:
            command += ["--mark", str(self.mark)]
        if self.baseline_latency is not None:
            command += ["--baseline-latency", msgspec.json.encode(self.baseline_latency).decode()]
        if self.profile is not None:
            command += ["--profile", self.profile]
        if self.header_timeout_s is not None:
            command += ["--header-timeout", str(self.header_timeout_s)]
        if isinstance(self.faults, Path):
            command += ["--faults", str(self.faults)]
        elif self.faults is not None:
            faults_file = self.workdir / "faults.json"
            faults_file.write_bytes(msgspec.json.encode(self.faults))
            command += ["--faults", str(faults_file)]
        return command

    def env(self) -> dict[str, str]:
        # the token through the environment, not the command line (any user reads that)
        return {ENV_ADMIN_TOKEN: self.admin_token} if self.admin_token else {}

    def probe(self) -> bool:
        return http_status(self.host, self.port, "/_fake/health", timeout=0.5) == 200

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        super().stop()

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
