"""Run one fake with granian (one process per fake; ``workers`` granian workers inside it).

The app's settings reach granian's worker processes through environment variables
(``FAKE_LLM_VENDOR``, ``FAKE_LLM_SEED``, ``FAKE_LLM_FAULTS``), read by ``app.from_env``.
Each worker keeps its own fault state, RNG and metrics: use one worker when you need
seeded reproducibility or exact counts; admin calls reach one worker per call.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec
import yaml

from fakes.llm.app import ENV_FAULTS, ENV_SEED, ENV_VENDOR, Vendor
from fakes.llm.faults import FaultConfig, load_config

__all__ = ["read_faults", "serve"]


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
) -> None:
    """Serve the fake until interrupted (blocks)."""
    from granian.constants import Interfaces, Loops  # heavy: only when serving
    from granian.log import LogLevels
    from granian.server import Server

    os.environ[ENV_VENDOR] = vendor
    os.environ[ENV_SEED] = str(seed)
    if faults is not None:
        os.environ[ENV_FAULTS] = msgspec.json.encode(faults).decode()
    else:
        os.environ.pop(ENV_FAULTS, None)
    server = Server(
        "fakes.llm.app:from_env",
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=workers,
        loop=Loops.auto,
        factory=True,
        log_level=LogLevels(log_level),
        backlog=2048,
    )
    server.serve()
