"""Can this machine run the compose backend? The Docker client, its daemon, the compose plugin.

``check_docker`` tells apart the four states a user meets, in this order: no ``docker``
client; a client whose daemon cannot be reached (not running, no permission on its socket,
``DOCKER_HOST`` pointing nowhere); a daemon without the ``docker compose`` plugin; a working
engine. Each state that is not ready carries docker's own words for what is wrong, one line
saying what to do, and a link to the page that says how. It only runs ``docker`` (``version``,
``compose version``), each bounded by a timeout; nothing is started or changed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "COMPOSE_URL",
    "DAEMON_URL",
    "ENGINE_URL",
    "PERMISSION_URL",
    "DockerEngine",
    "EngineState",
    "check_docker",
]

ENGINE_URL = "https://docs.docker.com/engine/install/"
DAEMON_URL = "https://docs.docker.com/engine/daemon/start/"
PERMISSION_URL = "https://docs.docker.com/engine/install/linux-postinstall/"
COMPOSE_URL = "https://docs.docker.com/compose/install/linux/"

EngineState = Literal["no_client", "no_daemon", "no_compose", "ready"]

_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)?)")


@dataclass(frozen=True, slots=True)
class DockerEngine:
    """What ``check_docker`` found. ``problem`` (docker's words), ``fix`` (what to do) and
    ``url`` (how) are set unless ``state`` is ``ready``; versions are None when unknown."""

    state: EngineState
    path: Path | None = None
    client: str | None = None
    server: str | None = None
    compose: str | None = None
    problem: str | None = None
    fix: str | None = None
    url: str | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def _run(
    docker: Path, args: Sequence[str], env: Mapping[str, str], timeout_s: float
) -> tuple[int, str, str]:
    """``docker ARGS``: exit code, stdout and stderr (stripped); 124 when it timed out."""
    try:
        done = subprocess.run(
            [str(docker), *args],
            capture_output=True,
            text=True,
            env=dict(env),
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return 124, "", f"`docker {' '.join(args)}` did not answer in {timeout_s:g} s"
    except OSError as error:
        return 126, "", f"cannot run {docker}: {error.strerror or error}"
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def check_docker(*, env: Mapping[str, str] | None = None, timeout_s: float = 10.0) -> DockerEngine:
    """The state of the Docker engine as the lab would use it (``env`` defaults to ours)."""
    env = os.environ if env is None else env
    on_path = shutil.which("docker", path=env.get("PATH", os.defpath))
    if on_path is None:
        return DockerEngine(
            "no_client",
            problem="docker is not on PATH",
            fix="install Docker Engine (or Docker Desktop) for the compose backend",
            url=ENGINE_URL,
        )
    docker = Path(on_path)
    _, version, _ = _run(docker, ["--version"], env, timeout_s)
    client = match.group(1) if (match := _VERSION.search(version)) else None
    code, out, err = _run(docker, ["version", "--format", "{{.Server.Version}}"], env, timeout_s)
    server = out or None if code == 0 else None
    c_code, c_out, c_err = _run(docker, ["compose", "version", "--short"], env, timeout_s)
    compose = c_out.lstrip("v") or None if c_code == 0 else None
    found = DockerEngine("ready", path=docker, client=client, server=server, compose=compose)
    if server is None:
        problem = _first_line(err) or f"`docker version` exited {code}"
        if "permission denied" in problem.lower():
            fix = "let your user use the daemon's socket: add it to the docker group"
            url = PERMISSION_URL
        else:
            fix = "start the daemon (Linux: `sudo systemctl start docker`; macOS: Docker Desktop)"
            url = DAEMON_URL
        return _with(found, "no_daemon", problem, fix, url)
    if compose is None:
        problem = _first_line(c_err) or f"`docker compose version` exited {c_code}"
        fix = "install the Docker Compose plugin (`docker compose`, not `docker-compose`)"
        return _with(found, "no_compose", problem, fix, COMPOSE_URL)
    return found


def _with(
    found: DockerEngine, state: EngineState, problem: str, fix: str, url: str
) -> DockerEngine:
    return DockerEngine(
        state,
        path=found.path,
        client=found.client,
        server=found.server,
        compose=found.compose,
        problem=problem,
        fix=fix,
        url=url,
    )
