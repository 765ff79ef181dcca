"""``chaoslab toxiproxy``: run the embedded Toxiproxy-compatible server."""

from __future__ import annotations

import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click

__all__ = ["toxiproxy"]


def _check_config(path: Path) -> None:
    """Fail early (exit 2) on a config that is not a JSON list of proxies."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.BadParameter(f"cannot read {path}: {error}", param_hint="--config") from None
    except RecursionError:
        message = f"cannot read {path}: its JSON is nested too deeply"
        raise click.BadParameter(message, param_hint="--config") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise click.BadParameter(f"{path} must hold a JSON list of proxies", param_hint="--config")


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop when it is installed (faster proxying), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        import asyncio

        asyncio.run(main)
        return
    uvloop.run(main)


@click.command("toxiproxy")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for the HTTP API.")
@click.option("--port", default=8474, show_default=True, type=click.IntRange(0, 65535),
              help="Port for the HTTP API (0 picks a free one).")  # fmt: skip
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON list of proxies to create at start (Toxiproxy's -config).")  # fmt: skip
@click.option("--seed", type=int, default=None, help="Seed for toxicity draws, jitter and slicing.")
def toxiproxy(host: str, port: int, config: Path | None, seed: int | None) -> None:
    """Run the embedded Toxiproxy-compatible fault proxy until Ctrl-C.

    It speaks Toxiproxy 2.x's HTTP API (proxies, toxics, /populate, /reset, /version,
    /metrics), so toxiproxy-python, toxiproxy-cli and the Go/Ruby clients drive it
    unchanged. The API binds to loopback unless --host says otherwise.

    \b
    Example:
      chaoslab toxiproxy --port 8474 --config proxies.json
      curl -s -XPOST localhost:8474/proxies/redis/toxics \\
           -d '{"type": "latency", "attributes": {"latency": 1000}}'
    """
    if config is not None:
        _check_config(config)
    from fakes.toxiproxy.server import ConfigError, serve

    try:
        _run(serve(host=host, port=port, config=config, seed=seed))
    except ConfigError as error:  # a proxy in the file is invalid or cannot listen
        raise click.BadParameter(str(error), param_hint="--config") from None
    except OSError as error:
        raise click.UsageError(f"cannot serve on {host}:{port}: {error}") from None
