"""The external programs the lab can use: where they are, their version, how to install them.

``chaoslab doctor`` prints this table; ``lab.servers`` resolves binaries through it, so a
server that cannot start names the missing binary and the one-line install hint.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BINARIES", "Binary", "BinaryNotFound", "Found", "find", "locate", "probe"]

_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?)")


@dataclass(frozen=True, slots=True)
class Binary:
    """An external program. ``extra_dirs`` are globbed when it is not on PATH (Debian keeps
    PostgreSQL's server programs under ``/usr/lib/postgresql/<major>/bin``)."""

    name: str
    purpose: str
    version_args: tuple[str, ...]
    apt: str
    brew: str
    default_backend: bool
    extra_dirs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Found:
    binary: Binary
    path: Path | None
    version: str | None

    @property
    def ok(self) -> bool:
        return self.path is not None


class BinaryNotFound(RuntimeError):
    """A required program is missing; the message says how to install it."""

    def __init__(self, binary: Binary) -> None:
        super().__init__(
            f"{binary.name} not found on PATH: install it with `{binary.apt}` "
            f"(Debian/Ubuntu) or `{binary.brew}` (macOS)"
        )
        self.binary = binary


_PG_DIRS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/local/opt/postgresql*/bin",
    "/opt/homebrew/opt/postgresql*/bin",
)


def _postgres(name: str, purpose: str) -> Binary:
    """PostgreSQL's server programs: one package, found off PATH on Debian."""
    return Binary(
        name,
        purpose,
        ("--version",),
        "apt-get install -y postgresql",
        "brew install postgresql@16",
        default_backend=True,
        extra_dirs=_PG_DIRS,
    )


def _package(name: str, purpose: str, version_flag: str, *, apt: str, brew: str) -> Binary:
    """A program the local backend needs, installed from the package of the same name."""
    return Binary(name, purpose, (version_flag,), apt, brew, default_backend=True)


def _optional(name: str, purpose: str, version_flag: str, *, apt: str, brew: str) -> Binary:
    return Binary(name, purpose, (version_flag,), apt, brew, default_backend=False)


BINARIES: tuple[Binary, ...] = (
    _package(
        "redis-server", "rate limits, cache, sessions", "--version",
        apt="apt-get install -y redis-server", brew="brew install redis",
    ),
    _postgres("initdb", "creates throwaway PostgreSQL clusters"),
    _postgres("pg_ctl", "PostgreSQL cluster control"),
    _postgres("postgres", "conversation store (PostgreSQL)"),
    _postgres("pg_basebackup", "PostgreSQL standby for the V4 phase"),
    _package(
        "prometheus", "scrapes every component; reports query it", "--version",
        apt="apt-get install -y prometheus", brew="brew install prometheus",
    ),
    _package(
        "haproxy", "load balancer for phases with several replicas", "-v",
        apt="apt-get install -y haproxy", brew="brew install haproxy",
    ),
    _optional(
        "mongod", "conversation store (MongoDB)", "--version",
        apt="see https://www.mongodb.com/docs/manual/administration/install-on-linux/",
        brew="brew install mongodb-community",
    ),
    _optional(
        "toxiproxy-server", "real Toxiproxy (an embedded one is built in)", "--version",
        apt="download a release from https://github.com/Shopify/toxiproxy/releases",
        brew="brew install toxiproxy",
    ),
    _optional(
        "docker", "compose backend and testcontainers", "--version",
        apt="apt-get install -y docker.io", brew="brew install --cask docker",
    ),
    _optional(
        "wrk", "HTTP benchmarks (nox -s bench)", "-v",
        apt="apt-get install -y wrk", brew="brew install wrk",
    ),
)  # fmt: skip


def locate(binary: Binary) -> Path | None:
    """The program's path: PATH first, then the binary's extra directories (newest first)."""
    on_path = shutil.which(binary.name)
    if on_path:
        return Path(on_path)
    for pattern in binary.extra_dirs:
        for directory in sorted(glob.glob(pattern), reverse=True):
            candidate = Path(directory) / binary.name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def probe(binary: Binary) -> Found:
    """Locate ``binary`` and read its version (``None`` when it prints none in 5 s)."""
    path = locate(binary)
    if path is None:
        return Found(binary, None, None)
    try:
        done = subprocess.run(
            [str(path), *binary.version_args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return Found(binary, path, None)
    match = _VERSION.search(done.stdout + done.stderr)
    return Found(binary, path, match.group(1) if match else None)


def find(name: str) -> Path:
    """The path of the named program, or ``BinaryNotFound`` with the install hint."""
    binary = next((b for b in BINARIES if b.name == name), None)
    if binary is None:
        raise KeyError(name)
    path = locate(binary)
    if path is None:
        raise BinaryNotFound(binary)
    return path
