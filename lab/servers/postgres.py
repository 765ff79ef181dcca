"""A throwaway PostgreSQL cluster: ``initdb`` in a temp dir, ``postgres`` in the foreground.

PostgreSQL refuses to run as root; when the lab runs as root (CI, containers) the cluster
is owned by and run as an unprivileged user (``postgres`` when it exists, else ``nobody``)
through ``setpriv``, which execs in place so signals reach the server directly.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from lab.binaries import find
from lab.servers.base import ManagedServer, ServerStartError

__all__ = ["PostgresServer", "ensure_template"]

_SUPERUSER = "postgres"
_FAST_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
)
_SYNC_SETTINGS = (
    "synchronous_commit=remote_apply",  # the later setting of the same name wins
    "synchronous_standby_names=*",
)


def _run_as() -> pwd.struct_passwd | None:
    """The account to drop to when we are root, else ``None``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServerStartError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def ensure_template(path: Path) -> Path:
    """An ``initdb``-ed data directory at ``path`` (made once, atomically), for
    ``PostgresServer(template=...)`` to copy instead of running ``initdb`` each time."""
    if (path / "PG_VERSION").exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="pg-template-", dir=path.parent))
    try:
        user = _run_as()
        if user is not None:
            os.chown(staging, user.pw_uid, user.pw_gid)
        _initdb(staging / "data")
        try:
            (staging / "data").rename(path)
        except OSError:  # another process made it first
            if not (path / "PG_VERSION").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _initdb(datadir: Path) -> None:
    done = subprocess.run(
        [*_prefix(), str(find("initdb")), "-D", str(datadir), "-U", _SUPERUSER,
         "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise ServerStartError(f"initdb failed ({done.returncode}): {done.stderr.strip()[-800:]}")


def _prefix() -> list[str]:
    user = _run_as()
    if user is None:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise ServerStartError("running as root needs `setpriv` (util-linux) to drop privileges")
    return [setpriv, f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]


class PostgresServer(ManagedServer):
    """A cluster with trust auth on loopback; ``dsn`` connects as superuser ``postgres``.

    ``template``: a data directory made by ``ensure_template`` to copy instead of running
    ``initdb`` (faster). ``primary``: make this cluster a streaming-replication standby of
    that running server (``pg_basebackup -R``); ``promote()`` turns it into a primary.
    ``sync_standby``: this primary commits only once its standby has applied the commit
    (``synchronous_commit=remote_apply``, ``synchronous_standby_names='*'``), so a write the
    service acknowledged survives the primary's region (V4's region failover lost turns
    written in the ~second before the kill when replication was asynchronous). The price:
    while no standby is connected, writes wait (a standby down stalls the primary)."""

    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: does not wait for clients to leave

    def __init__(
        self,
        *,
        template: Path | None = None,
        primary: PostgresServer | None = None,
        sync_standby: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.template = template
        self.primary = primary
        self.sync_standby = sync_standby

    @property
    def dsn(self) -> str:
        return f"postgresql://{_SUPERUSER}@{self.host}:{self.port}/postgres"

    @property
    def _datadir(self) -> str:
        return str(self.workdir / "data")

    def _prefix(self) -> list[str]:
        return _prefix()

    def prepare(self) -> None:
        if (self.workdir / "data" / "PG_VERSION").exists():
            return
        user = _run_as()
        if user is not None:
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
        if self.primary is not None:
            self._basebackup(self.primary)
        elif self.template is not None and (self.template / "PG_VERSION").exists():
            # cp -a keeps owner and modes (PostgreSQL insists on 0700, owned by its user)
            subprocess.run(
                ["cp", "-a", str(self.template), self._datadir],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
        else:
            _initdb(Path(self._datadir))

    def _basebackup(self, primary: PostgresServer) -> None:
        done = subprocess.run(
            [*self._prefix(), str(find("pg_basebackup")), "-h", primary.host,
             "-p", str(primary.port), "-U", _SUPERUSER, "-D", self._datadir,
             "-R", "-X", "stream", "--no-sync", "-c", "fast"],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise ServerStartError(
                f"pg_basebackup failed ({done.returncode}): {done.stderr.strip()[-800:]}"
            )

    def promote(self) -> None:
        """Promote a standby to a primary (``pg_ctl promote``, waits until done)."""
        done = subprocess.run(
            [*self._prefix(), str(find("pg_ctl")), "promote", "-w", "-t", "30",
             "-D", self._datadir],
            capture_output=True, text=True, check=False, timeout=40,
        )  # fmt: skip
        if done.returncode != 0:
            raise ServerStartError(f"promote failed: {done.stderr.strip()[-400:]}")

    def command(self) -> list[str]:
        chosen = _FAST_SETTINGS if not self.sync_standby else (*_FAST_SETTINGS, *_SYNC_SETTINGS)
        settings = [arg for setting in chosen for arg in ("-c", setting)]
        return [
            *self._prefix(), str(find("postgres")),
            "-D", self._datadir, "-p", str(self.port), "-h", self.host,
            "-k", str(self.workdir), *settings,
        ]  # fmt: skip

    def probe(self) -> bool:
        """A real startup packet: ready when the server answers with authentication OK ('R')."""
        user = _SUPERUSER.encode()
        body = b"\x00\x03\x00\x00" + b"user\x00" + user + b"\x00database\x00postgres\x00\x00"
        packet = (len(body) + 4).to_bytes(4, "big") + body
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as conn:
                conn.sendall(packet)
                reply = conn.recv(1)
                conn.sendall(b"X\x00\x00\x00\x04")  # Terminate
                return reply == b"R"
        except OSError:
            return False
