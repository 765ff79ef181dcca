"""``python -m fakes.toxiproxy [--host H] [--port P] [--config FILE] [--seed N]``.

Flags mirror ``toxiproxy-server`` (which spells them with one dash; both spellings work),
``-proxy-metrics``, ``-runtime-metrics`` and ``-version`` included.
Runs on uvloop when it is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from fakes.toxiproxy.api import VERSION
from fakes.toxiproxy.server import DEFAULT_HOST, DEFAULT_PORT, ConfigError, serve

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.toxiproxy", description="Toxiproxy-compatible fault proxy."
    )
    parser.add_argument("--host", "-host", default=DEFAULT_HOST, help="API host (loopback)")
    parser.add_argument("--port", "-port", type=int, default=DEFAULT_PORT, help="API port")
    parser.add_argument("--config", "-config", type=Path, help="JSON list of proxies to create")
    parser.add_argument("--seed", "-seed", type=int, help="seed for toxicity, jitter, slicing")
    parser.add_argument("--proxy-metrics", "-proxy-metrics", action="store_true",
                        help="accepted for compatibility; metrics are always on")  # fmt: skip
    parser.add_argument("--runtime-metrics", "-runtime-metrics", action="store_true",
                        help="accepted for compatibility; no runtime metrics")  # fmt: skip
    parser.add_argument("--version", "-version", action="version",
                        version=f"toxiproxy-server version {VERSION}",
                        help="print the Toxiproxy version served")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse flags and serve until SIGINT/SIGTERM; 1 with one line on stderr when the
    config cannot be loaded or the API cannot listen."""
    args = _parser().parse_args(argv)
    if args.config is not None and not args.config.is_file():
        _parser().error(f"--config {args.config}: no such file")
    runner = asyncio.run
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on POSIX
        pass
    else:
        runner = uvloop.run
    try:
        runner(serve(host=args.host, port=args.port, config=args.config, seed=args.seed))
    except ConfigError as error:  # toxiproxy-server's -config: one line, exit 1
        print(f"toxiproxy: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # the API cannot listen (address in use, bad host)
        print(f"toxiproxy: cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
