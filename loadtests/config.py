"""What the runner tells the Locust processes: one JSON file, ``RUN/load/config.json``.

The runner writes it; the locustfile reads it (``--lab-config PATH`` or the environment
variable ``CHAOSLAB_LOAD_CONFIG``). Locust runs in its own processes, so this file is the
whole interface between the lab's asyncio side and Locust's gevent side.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

__all__ = ["CONFIG_ENV", "LoadConfig", "read_config", "write_config"]

CONFIG_ENV = "CHAOSLAB_LOAD_CONFIG"


class LoadConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the load needs (times are seconds)."""

    front_door: str
    api_keys: tuple[str, ...] = ()
    api_keys_file: str | None = None
    """The stack's key file (``key:user`` a line): the simulated users' keys are the
    ``load-*`` users' (the file, not this config, holds them); ``read_config`` fills
    ``api_keys`` from it."""
    run_dir: str
    duration: float
    users: int = 10
    spawn_rate: float = 5.0
    shape: str = "steady"
    peak_users: int | None = None
    steps: int = 4
    arrival_rate: float | None = None
    max_in_flight: int = 200
    mix: dict[str, int] = msgspec.field(default_factory=lambda: {"chat": 1})
    think_time: float = 1.0
    timeout: float = 30.0
    expected_statuses: tuple[int, ...] = ()
    seed: int = 0
    workers: int = 1
    """Locust worker processes (the open model's rate is split among them)."""
    model: str | None = None
    latency_targets: tuple[float, ...] = (1.0, 2.5, 3.0, 5.0)
    """Every phase's p95 latency target: histogram buckets straddle each one."""
    ttft_targets: tuple[float, ...] = (1.0, 1.5, 2.0)
    exporter: bool = True
    """Serve client-side SLIs to Prometheus from each Locust process."""
    stop_after: float | None = None
    """When set, the load ends at ``RUN/load/stop-at`` or this many seconds, whichever comes
    first (the runner's way); else at ``duration``."""
    scrape_dirs: tuple[str, ...] = ()
    """More ``file_sd`` directories (the stack's) to announce each exporter in, besides
    ``RUN/load/scrape``."""


def write_config(path: Path, config: LoadConfig) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(config), indent=2))
    return path


def read_config(path: str | Path | None = None) -> LoadConfig:
    """The config at ``path`` or at ``$CHAOSLAB_LOAD_CONFIG``; ``ValueError`` (one line)
    when neither names a readable, valid file."""
    where = path or os.environ.get(CONFIG_ENV)
    if not where:
        raise ValueError(f"no load config: pass --lab-config PATH or set {CONFIG_ENV}")
    try:
        config = msgspec.json.decode(Path(where).read_bytes(), type=LoadConfig)
    except OSError as error:
        raise ValueError(f"{where}: cannot read the load config ({error.strerror})") from None
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise ValueError(f"{where}: invalid load config: {error}") from None
    if config.api_keys_file and not config.api_keys:
        config = msgspec.structs.replace(config, api_keys=_load_keys(config.api_keys_file))
    return config


def _load_keys(path: str) -> tuple[str, ...]:
    """The ``load-*`` users' keys in a key file (every key when none is a load user's)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ValueError(f"{path}: cannot read the stack's keys ({error.strerror})") from None
    pairs = [line.rsplit(":", 1) for line in lines if ":" in line]
    load = tuple(key for key, user in pairs if user.startswith("load-"))
    return load or tuple(key for key, _ in pairs)
