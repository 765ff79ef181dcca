"""A throwaway Prometheus with a generated config and temporary storage."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence

import yaml

from lab.binaries import find
from lab.servers.base import ManagedServer

__all__ = ["PrometheusServer"]


class PrometheusServer(ManagedServer):
    """Prometheus scraping ``targets`` (job name -> ``host:port`` list) every
    ``scrape_interval`` seconds. ``reload()`` applies new targets without a restart."""

    name = "prometheus"

    def __init__(
        self,
        *,
        targets: Mapping[str, Sequence[str]] | None = None,
        scrape_interval: float = 1.0,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.targets: dict[str, list[str]] = {k: list(v) for k, v in (targets or {}).items()}
        self.scrape_interval = scrape_interval

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def config(self) -> dict[str, object]:
        interval = f"{int(self.scrape_interval * 1000)}ms"
        return {
            "global": {"scrape_interval": interval, "evaluation_interval": interval},
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": addresses}]}
                for job, addresses in sorted(self.targets.items())
            ],
        }

    def prepare(self) -> None:
        (self.workdir / "prometheus.yml").write_text(
            yaml.safe_dump(self.config()), encoding="utf-8"
        )

    def command(self) -> list[str]:
        return [
            str(find("prometheus")),
            f"--config.file={self.workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address={self.host}:{self.port}",
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=1d",
            "--log.level=warn",
        ]

    def probe(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:  # noqa: S310 - loopback URL we built
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def reload(self) -> None:
        """Rewrite the config from ``targets`` (and ``config()``) and ask the running server to
        reload it, without a restart: the lab stack calls this when its parts change.

        Raises ``urllib.error.HTTPError`` when Prometheus refuses the new config; the config
        it had stays in force (but the file holds the refused one until the next reload).
        """
        self.prepare()
        request = urllib.request.Request(f"{self.url}/-/reload", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - loopback URL we built
            pass
