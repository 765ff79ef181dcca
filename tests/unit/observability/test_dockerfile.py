"""The project's Dockerfile: python:3.11-slim, uv from PyPI at the project's pinned
version, locked non-dev install, every package of the wheel copied, non-root user."""

from __future__ import annotations

import re
import tomllib

from tests.unit.observability.files import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
INSTRUCTIONS = [
    line.strip() for line in DOCKERFILE.replace("\\\n", " ").splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]  # fmt: skip


def _copied() -> set[str]:
    sources: set[str] = set()
    for line in INSTRUCTIONS:
        if line.startswith("COPY "):
            sources.update(part.rstrip("/") for part in line.split()[1:-1])
    return sources


def test_base_image_is_python_311_slim() -> None:
    """The image starts from python:3.11-slim."""
    assert INSTRUCTIONS[0] == "FROM python:3.11-slim"


def test_installs_uv_from_the_bootstrap_pin() -> None:
    """uv comes from pip at the version scripts/requirements-bootstrap.txt pins."""
    pins = (ROOT / "scripts" / "requirements-bootstrap.txt").read_text(encoding="utf-8")
    assert re.search(r"^uv==\S+$", pins, re.MULTILINE)
    assert "scripts/requirements-bootstrap.txt" in _copied()
    assert any("pip install" in line and "'^uv=='" in line for line in INSTRUCTIONS)


def test_installs_from_the_lock_file_without_dev_groups() -> None:
    """Dependencies come from uv.lock with `uv sync --frozen --no-dev`."""
    assert {"pyproject.toml", "uv.lock", "README.md"} <= _copied()
    assert any(line.endswith("uv sync --frozen --no-dev") for line in INSTRUCTIONS)


def test_copies_every_package_of_the_wheel() -> None:
    """Every package hatch builds into the wheel is copied, and exists in the tree."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert set(packages) <= _copied()
    assert all((ROOT / package).is_dir() for package in packages)


def test_dockerignore_keeps_what_the_build_copies() -> None:
    """.dockerignore excludes none of the paths the Dockerfile copies."""
    ignored = {
        line.strip().strip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for source in _copied():
        assert source not in ignored, source
        assert source.split("/")[0] not in ignored, source


def test_runs_as_a_non_root_user() -> None:
    """The last USER instruction names a user other than root."""
    users = [line.split()[1] for line in INSTRUCTIONS if line.startswith("USER ")]
    assert users
    assert users[-1] not in ("root", "0")


def test_default_command_is_the_chat_service() -> None:
    """Without a command the image serves the chat API."""
    assert INSTRUCTIONS[-1] == 'CMD ["python", "-m", "service"]'
