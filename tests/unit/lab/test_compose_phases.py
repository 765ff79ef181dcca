"""The compose backend's per-phase files: valid Compose, every mounted file present, the
same flags and topology as the local backend, the proxy image matching our proxy's API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from fakes.toxiproxy.api import VERSION
from lab.phases import load_phases
from lab.stack.compose import PHASES_DIR, TOXIPROXY_VERSION, phase_files

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "compose" / "schema" / "compose-spec.json").read_text())
PHASES = list(load_phases().values())


def _document(phase_id: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PHASES_DIR / f"{phase_id}.yml").read_text())
    return data


@pytest.mark.parametrize("phase", PHASES, ids=lambda p: p.id)
def test_the_phase_file_validates_against_the_compose_schema(phase: Any) -> None:
    """compose/phases/<phase>.yml is valid per the Compose specification's JSON schema."""
    jsonschema.Draft7Validator(SCHEMA).validate(_document(phase.id))


@pytest.mark.parametrize("phase", PHASES, ids=lambda p: p.id)
def test_every_mounted_file_and_build_context_exists(phase: Any) -> None:
    """Bind mounts and the build context resolve to files of the repository."""
    for name, service in _document(phase.id)["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (PHASES_DIR / source).exists(), f"{name}: {source}"
        if "build" in service:
            assert (PHASES_DIR / service["build"]["context"] / "Dockerfile").exists()


def test_committed_files_match_the_phase_file() -> None:
    """compose/phases/ is what `python -m lab.stack.compose` writes (regenerate after
    editing lab/phases.toml or docker-compose.yml)."""
    expected = {n: t for p in PHASES for n, t in phase_files(p).items()}
    on_disk = {p.name: p.read_text() for p in PHASES_DIR.iterdir() if p.is_file()}
    assert on_disk == expected


def test_the_toxiproxy_image_is_the_release_our_proxy_copies() -> None:
    """The generated files run the Toxiproxy release whose API fakes.toxiproxy copies."""
    assert TOXIPROXY_VERSION == VERSION
    for phase in PHASES:
        image = _document(phase.id)["services"]["toxiproxy"]["image"]
        assert image == f"ghcr.io/shopify/toxiproxy:{VERSION}"


@pytest.mark.parametrize("phase", PHASES, ids=lambda p: p.id)
def test_replicas_flags_and_routes_match_the_local_backend(phase: Any) -> None:
    """As many chat services as the phase's replicas, each with the phase's flags and one
    Toxiproxy proxy per dependency (named as on the local backend)."""
    services = _document(phase.id)["services"]
    chats = sorted(n for n in services if n.startswith("chat-"))
    assert len(chats) == phase.total_replicas
    routes = json.loads((PHASES_DIR / f"{phase.id}.toxiproxy.json").read_text())
    names = {r["name"] for r in routes}
    for number, name in enumerate(chats, start=1):
        env = services[name]["environment"]
        for key, value in phase.service_env().items():
            assert env[key] == value, (name, key)
        expected = {f"replica-{number}.{d}" for d in ("redis", "store")}
        expected |= {f"replica-{number}.{p.name}" for p in phase.providers}
        assert expected <= names
        chain = json.loads(env["CHAT_PROVIDERS"])
        assert [p["name"] for p in chain] == [p.name for p in phase.providers]
    assert ("haproxy" in services) == (phase.total_replicas > 1)
    assert {f"fake-{p.name}" for p in phase.providers} <= set(services)
