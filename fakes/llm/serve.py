"""Run one fake with granian (one process per fake; ``workers`` granian workers inside it).

The app's settings reach granian's worker processes through environment variables
(``FAKE_LLM_VENDOR``, ``FAKE_LLM_SEED``, ``FAKE_LLM_FAULTS``, ``FAKE_LLM_MODELS``), read by
``app.from_env``.
Each worker keeps its own fault state, RNG and metrics: use one worker when you need
seeded reproducibility or exact counts; admin calls reach one worker per call.

granian serves HTTP/1.1 only: in its ``auto`` mode it first waits, with no time limit, for
the bytes that tell HTTP/1 from HTTP/2, so a connection that never sends a byte would hold
a file descriptor forever. In HTTP/1 mode its header read timeout closes a connection whose
request head is not complete ``header_timeout_s`` after it opened or after the last answer
(a silent connection, a half-sent head, an idle keep-alive connection). The vendors' SDKs
speak HTTP/1.1.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import yaml

from fakes.llm.app import ENV_FAULTS, ENV_MODELS, ENV_SEED, ENV_VENDOR, Vendor
from fakes.llm.faults import FaultConfig, load_config

__all__ = ["HEADER_TIMEOUT_S", "read_faults", "serve"]

HEADER_TIMEOUT_S = 30.0
"""Seconds a connection may take to send a whole request head (granian's default)."""


def read_faults(path: Path) -> FaultConfig:
    """Read a fault configuration from a JSON or YAML file (by suffix; YAML otherwise).

    Raises ``OSError`` when unreadable, ``msgspec.ValidationError`` or ``ValueError`` when
    invalid, with a one-line message that names the field (or the YAML line and column) but
    not the file, which the caller names once.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data: Any = msgspec.json.decode(text)
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(_yaml_problem(exc)) from exc
    return load_config(data)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """``not valid YAML at line 3, column 8: mapping values are not allowed here`` (one line)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "syntax error"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        return f"not valid YAML{where}: {' '.join(what.split())}"
    return f"not valid YAML: {' '.join(str(exc).split())}"


def serve(
    vendor: Vendor,
    *,
    host: str = "127.0.0.1",
    port: int,
    seed: int = 0,
    faults: FaultConfig | None = None,
    workers: int = 1,
    log_level: str = "warning",
    header_timeout_s: float = HEADER_TIMEOUT_S,
    models: Sequence[str] | None = None,
) -> None:
    """Serve the fake until interrupted (blocks); ``models`` as ``FakeApp`` takes them."""
    from granian.constants import HTTPModes, Interfaces, Loops  # heavy: only when serving
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    os.environ[ENV_VENDOR] = vendor
    os.environ[ENV_SEED] = str(seed)
    if faults is not None:
        os.environ[ENV_FAULTS] = msgspec.json.encode(faults).decode()
    else:
        os.environ.pop(ENV_FAULTS, None)
    if models is not None:
        os.environ[ENV_MODELS] = ",".join(models)
    else:
        os.environ.pop(ENV_MODELS, None)
    server = Server(
        "fakes.llm.app:from_env",
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=max(1, round(header_timeout_s * 1000))),
        workers=workers,
        loop=Loops.auto,
        factory=True,
        log_level=LogLevels(log_level),
        backlog=2048,
    )
    server.serve()
