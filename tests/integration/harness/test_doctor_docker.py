"""``chaoslab doctor`` tells a Docker client without a daemon, a daemon without the compose
plugin and a working engine apart, with install and fix hints as terminal hyperlinks.

The ``docker`` client is the real one (these tests skip without it). No Docker daemon can run
here, so a working daemon is a stand-in speaking the two Engine API calls ``docker version``
makes (``/_ping`` and ``/vX/version``) on a loopback port, and the compose plugin is a
stand-in executable the real client discovers through ``DOCKER_CONFIG/cli-plugins``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lab.docker_engine import COMPOSE_URL, DAEMON_URL, ENGINE_URL, check_docker
from lab.net import LOOPBACK, free_port

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None, reason="the docker client is not on PATH"
)

_PLUGIN = """#!/bin/sh
if [ "$1" = "docker-cli-plugin-metadata" ]; then
  echo '{"SchemaVersion": "0.1.0", "Vendor": "Docker Inc.", "Version": "v2.29.7"}'
  exit 0
fi
shift
if [ "$1 $2" = "version --short" ]; then echo "v2.29.7"; exit 0; fi
echo "Docker Compose version v2.29.7"
"""


class _EngineApi(BaseHTTPRequestHandler):
    """The two answers ``docker version`` needs from a daemon."""

    protocol_version = "HTTP/1.1"

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Api-Version", "1.47")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._send(b"", "text/plain")

    def do_GET(self) -> None:
        if self.path.endswith("/_ping"):
            self._send(b"OK", "text/plain")
            return
        version = {"Version": "27.3.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24"}
        self._send(
            json.dumps({**version, "Os": "linux", "Arch": "amd64"}).encode(), "application/json"
        )

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture(scope="module")
def daemon() -> Iterator[str]:
    """``DOCKER_HOST`` of a stand-in daemon answering ``docker version``."""
    server = ThreadingHTTPServer((LOOPBACK, 0), _EngineApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://{LOOPBACK}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_plugins(tmp_path: Path) -> Path:
    """A ``DOCKER_CONFIG`` without plugins (skips when compose is installed system-wide)."""
    config = tmp_path / "docker-config"
    config.mkdir()
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    done = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, env=env, timeout=30, check=False
    )
    if done.returncode == 0:
        pytest.skip("docker compose is installed system-wide: its absence cannot be shown")
    return config


@pytest.fixture
def with_plugin(tmp_path: Path) -> Path:
    """A ``DOCKER_CONFIG`` whose cli-plugins hold a compose plugin."""
    config = tmp_path / "docker-config"
    plugin = config / "cli-plugins" / "docker-compose"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(_PLUGIN, encoding="utf-8")
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    return config


def _env(**values: str) -> dict[str, str]:
    return {**os.environ, **values}


def _dead_host() -> str:
    """A ``DOCKER_HOST`` where nothing listens."""
    return f"tcp://{LOOPBACK}:{free_port()}"


def test_client_without_daemon(no_plugins: Path) -> None:
    """No daemon behind DOCKER_HOST: no_daemon, docker's own words, the start-daemon link."""
    engine = check_docker(env=_env(DOCKER_HOST=_dead_host(), DOCKER_CONFIG=str(no_plugins)))
    assert engine.state == "no_daemon"
    assert engine.client is not None
    assert engine.server is None
    assert engine.problem is not None
    assert "Cannot connect to the Docker daemon" in engine.problem
    assert engine.url == DAEMON_URL


def test_this_machines_default_daemon_is_reported() -> None:
    """With this machine's own settings the state is no_daemon or better, never a crash."""
    engine = check_docker()
    assert engine.state in ("no_daemon", "no_compose", "ready")
    if engine.state == "no_daemon":
        assert engine.problem


def test_daemon_without_compose_plugin(daemon: str, no_plugins: Path) -> None:
    """A reachable daemon but no compose plugin: no_compose with the plugin's install link."""
    engine = check_docker(env=_env(DOCKER_HOST=daemon, DOCKER_CONFIG=str(no_plugins)))
    assert (engine.state, engine.server, engine.compose) == ("no_compose", "27.3.1", None)
    assert engine.url == COMPOSE_URL


def test_working_engine(daemon: str, with_plugin: Path) -> None:
    """Daemon and compose plugin: ready, with both versions and nothing to fix."""
    engine = check_docker(env=_env(DOCKER_HOST=daemon, DOCKER_CONFIG=str(with_plugin)))
    assert (engine.state, engine.server, engine.compose) == ("ready", "27.3.1", "2.29.7")
    assert (engine.problem, engine.fix, engine.url) == (None, None, None)


def test_no_client(tmp_path: Path) -> None:
    """Without docker on PATH: no_client with the Docker Engine install link."""
    engine = check_docker(env=_env(PATH=str(tmp_path)))
    assert (engine.state, engine.url) == ("no_client", ENGINE_URL)


def _doctor(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaoslab", "doctor", *args],
        capture_output=True, text=True, env=_env(**env), timeout=120, check=False,
    )  # fmt: skip


def test_doctor_says_the_daemon_is_unreachable_with_a_hyperlink(no_plugins: Path) -> None:
    """On a terminal the fix is an OSC 8 hyperlink to Docker's start-the-daemon page."""
    done = _doctor(
        DOCKER_HOST=_dead_host(), DOCKER_CONFIG=str(no_plugins), FORCE_COLOR="1", COLUMNS="200"
    )
    assert "daemon NOT REACHABLE" in done.stdout
    assert "\x1b]8;id=" in done.stdout
    assert f";{DAEMON_URL}\x1b\\" in done.stdout
    assert f";{COMPOSE_URL}\x1b\\" in done.stdout
    assert "Traceback" not in done.stderr


def test_doctor_piped_shows_the_links_as_text(daemon: str, no_plugins: Path) -> None:
    """Piped (no terminal), the same hints show the URLs themselves, without escapes."""
    done = _doctor(DOCKER_HOST=daemon, DOCKER_CONFIG=str(no_plugins), COLUMNS="200")
    assert "daemon 27.3.1" in done.stdout
    assert f"compose plugin MISSING; install it: {COMPOSE_URL}" in done.stdout
    assert "\x1b" not in done.stdout


def test_doctor_json_carries_the_engine_state(daemon: str, with_plugin: Path) -> None:
    """--json gives the docker row an ``engine`` object with its state and versions."""
    done = _doctor("--json", DOCKER_HOST=daemon, DOCKER_CONFIG=str(with_plugin))
    docker = next(row for row in json.loads(done.stdout) if row["name"] == "docker")
    assert docker["engine"]["state"] == "ready"
    assert docker["engine"]["compose"] == "2.29.7"
