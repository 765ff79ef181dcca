"""Configuration generated from a phase: the service's environment, API keys, scrape jobs.

Pure functions (no I/O but writing the files they are asked to write), shared by the
local backend and the compose generator, and unit-tested without starting anything.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from lab.phases import Phase, ProviderSpec
from rundir import Component

__all__ = [
    "LOAD_KEY_COUNT",
    "MODEL",
    "VENDOR_MODELS",
    "Keys",
    "ensure_token",
    "make_keys",
    "provider_chain",
    "replica_env",
    "scrape_config",
]

MODEL = "gpt-4o-mini"
"""The public model every provider of the chain serves (the compose stack's name too)."""
VENDOR_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest"}
LOAD_KEY_COUNT = 200
DEFAULT_RATE_TIERS = "default=600/60"


class Keys(msgspec.Struct, frozen=True, kw_only=True):
    """The stack's API keys: one development key and one key per simulated user."""

    dev: str
    load: tuple[str, ...]

    def lines(self) -> str:
        """``CHAT_API_KEYS_FILE`` content: ``key:user`` a line."""
        rows = [f"{self.dev}:lab-dev"]
        rows += [f"{key}:load-{n:03d}" for n, key in enumerate(self.load, start=1)]
        return "\n".join(rows) + "\n"

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)  # credentials: the owner only, even over an older file
        path.write_text(self.lines(), encoding="utf-8")
        return path


def ensure_token(path: Path) -> str:
    """The stack's token in ``path`` (mode 600), made once: random, never from the seed."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError:
        token = ""
    if not token:
        token = secrets.token_urlsafe(24)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(token + "\n", encoding="utf-8")
    return token


def make_keys(count: int = LOAD_KEY_COUNT) -> Keys:
    """Fresh random keys (never derived from the seed: they are credentials)."""
    tag = secrets.token_hex(4)
    return Keys(
        dev=f"sk-lab-{secrets.token_hex(12)}",
        load=tuple(f"sk-load-{tag}-{n:03d}-{secrets.token_hex(6)}" for n in range(1, count + 1)),
    )


def provider_chain(
    providers: Sequence[ProviderSpec], addresses: Mapping[str, str]
) -> list[dict[str, Any]]:
    """``CHAT_PROVIDERS`` for one replica: each provider reached at ``addresses[name]``
    (``host:port``, its fault-proxy route), all serving ``MODEL``."""
    chain: list[dict[str, Any]] = []
    for spec in providers:
        root = f"http://{addresses[spec.name]}"
        chain.append(
            {
                "name": spec.name,
                "kind": spec.vendor,
                "api_key": f"sk-fake-{spec.name}",
                "base_url": f"{root}/v1" if spec.vendor == "openai" else root,
                "model_map": {MODEL: VENDOR_MODELS[spec.vendor]},
                "timeouts": {"connect": 1.0, "first_token": 10.0, "total": 60.0},
            }
        )
    return chain


def replica_env(
    phase: Phase,
    *,
    keys_file: Path,
    redis: str | None,
    store: str | None,
    providers: Mapping[str, str],
) -> dict[str, str]:
    """Every ``CHAT_*`` variable of one replica but its host and port. ``redis`` and
    ``store`` are ``host:port`` (their proxy routes); ``providers`` maps name -> address."""
    env = {
        "CHAT_API_KEYS_FILE": str(keys_file),
        "CHAT_RATE_TIERS": DEFAULT_RATE_TIERS,
        "CHAT_LOG_LEVEL": "info",
        "CHAT_DRAIN_SECONDS": "5",
        "CHAT_PROVIDERS": json.dumps(provider_chain(phase.providers, providers)),
        "CHAT_DEFAULT_MODEL": MODEL,
    }
    if redis is not None:
        env["CHAT_REDIS_URL"] = f"redis://{redis}/0"
    env["CHAT_STORE_URL"] = (
        f"postgresql://postgres@{store}/postgres" if store is not None else "memory://"
    )
    env.update(phase.service_env())
    return env


def scrape_config(
    components: Sequence[Component],
    *,
    interval_s: float = 1.0,
    rule_files: Sequence[str] = (),
    file_sd: str | None = None,
) -> dict[str, Any]:
    """Prometheus config: one job per component kind, one target per component with a
    ``metrics_url``, labelled ``instance=<component name>``. ``file_sd`` (a glob such as
    ``STACK/scrape/*.json``) adds the targets other processes announce there (the load
    generator's workers, the runner; each entry's ``job`` label names its job)."""
    jobs: dict[str, list[dict[str, Any]]] = {}
    paths: dict[str, str] = {}
    for part in components:
        if part.metrics_url is None:
            continue
        rest = part.metrics_url.split("://", 1)[-1]
        address, _, path = rest.partition("/")
        paths[part.kind] = "/" + path
        jobs.setdefault(part.kind, []).append(
            {"targets": [address], "labels": {"instance": part.name}}
        )
    interval = f"{int(interval_s * 1000)}ms"
    return {
        "global": {
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "evaluation_interval": interval,
            "external_labels": {"lab": "llm-chaos-lab"},
        },
        "rule_files": list(rule_files),
        "scrape_configs": [
            {"job_name": kind, "metrics_path": paths[kind], "static_configs": targets}
            for kind, targets in sorted(jobs.items())
        ]
        + (
            [
                {
                    "job_name": "announced",
                    "file_sd_configs": [{"files": [file_sd], "refresh_interval": "1s"}],
                }
            ]
            if file_sd
            else []
        ),
    }
