"""The external backend: the stack already runs elsewhere; a file of URLs describes it.

``chaoslab up --backend external --targets staging.toml --phase v2`` reads the file,
checks it, and writes ``STACK/stack.json`` with ``NoControl`` for every part (the lab loads,
injects through the listed fault APIs, and reports; it cannot kill or freeze anything).
Targets outside loopback are refused unless ``--allow-remote``; the load rate is capped
(``max_rps``, default 10 requests/s) and the cap is recorded in ``phase_config["external"]``.

The file (TOML, or JSON with the same keys)::

    front_door = "http://127.0.0.1:8000"     # required: where load goes
    api_key_env = "STAGING_API_KEY"          # or api_key = "sk-..." (a dev key)
    load_api_keys = []                       # keys for simulated users (default: api_key)
    prometheus = "http://127.0.0.1:9090"     # optional: the stack's Prometheus
    proxy_api = "http://127.0.0.1:8474"      # optional: its Toxiproxy API
    max_rps = 10                             # optional: load rate cap

    [[components]]                           # optional: parts the scenarios may target
    name = "fake-openai"                     # kind: replica, provider, redis, store...
    kind = "provider"
    url = "http://127.0.0.1:9001"
    admin_url = "http://127.0.0.1:9001/_fake"
    provider = "openai"
    vendor = "openai"

    [[proxies]]                              # optional: Toxiproxy proxies by role
    name = "openai"
    listen = "127.0.0.1:19001"
    upstream = "fake-openai:9001"
    role = "provider:openai"
    component = "fake-openai"
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from lab.phases import Phase, get_phase
from lab.stack.config import Keys
from lab.stack.errors import StackError
from rundir import Component, NoControl, ProxyRoute, Stack, write_stack
from rundir.layout import KEYS_FILE

__all__ = [
    "DEFAULT_MAX_RPS",
    "ExternalTargets",
    "describe",
    "external_components",
    "external_stack",
    "load_external",
    "read_targets",
]

DEFAULT_MAX_RPS = 10.0
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class _Part(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    kind: str
    url: str | None = None
    admin_url: str | None = None
    metrics_url: str | None = None
    region: str | None = None
    index: int | None = None
    vendor: str | None = None
    provider: str | None = None


class _Route(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    listen: str
    upstream: str
    role: str
    component: str
    replica: str | None = None


class ExternalTargets(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    front_door: str
    api_key: str | None = None
    api_key_env: str | None = None
    load_api_keys: tuple[str, ...] = ()
    prometheus: str | None = None
    proxy_api: str | None = None
    max_rps: float = DEFAULT_MAX_RPS
    components: tuple[_Part, ...] = ()
    proxies: tuple[_Route, ...] = ()


def read_targets(path: Path) -> ExternalTargets:
    """Parse and type-check the file; ``StackError`` naming file and key."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise StackError(f"{path}: cannot read the targets file ({error.strerror})") from None
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode())
        return msgspec.convert(data, ExternalTargets)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise StackError(
            f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {error}"
        ) from None
    except msgspec.ValidationError as error:
        raise StackError(f"{path}: {error}") from None


def _hosts(targets: ExternalTargets) -> list[tuple[str, str]]:
    urls = [("front_door", targets.front_door)]
    urls += [(k, v) for k, v in (("prometheus", targets.prometheus),
                                 ("proxy_api", targets.proxy_api)) if v]  # fmt: skip
    for part in targets.components:
        urls += [(f"components.{part.name}", u) for u in (part.url, part.admin_url) if u]
    found = []
    for key, url in urls:
        host = urlsplit(url).hostname if "://" in url else url.rsplit(":", 1)[0]
        found.append((key, host or ""))
    found += [(f"proxies.{r.name}", r.listen.rsplit(":", 1)[0]) for r in targets.proxies]
    return found


def load_external(path: Path, *, allow_remote: bool = False) -> tuple[ExternalTargets, str]:
    """The checked file and the API key it names; ``StackError`` (one line) otherwise."""
    targets = read_targets(path)
    if not allow_remote:
        for key, host in _hosts(targets):
            if host.strip("[]") not in _LOOPBACK:
                raise StackError(
                    f"{path}: {key} points at {host}, outside this machine; "
                    "pass --allow-remote if you mean to load it"
                )
    if targets.max_rps <= 0:
        raise StackError(f"{path}: max_rps must be > 0, got {targets.max_rps:g}")
    api_key = targets.api_key
    if targets.api_key_env:
        api_key = os.environ.get(targets.api_key_env)
        if not api_key:
            raise StackError(f"{path}: api_key_env names {targets.api_key_env}, which is unset")
    if not api_key:
        raise StackError(f"{path}: give api_key or api_key_env (a key the service accepts)")
    return targets, api_key


def external_components(targets: ExternalTargets) -> list[Component]:
    """The file's components, each with ``NoControl``."""
    return [
        Component(
            name=p.name,
            kind=p.kind,
            url=p.url,
            control=NoControl(),
            admin_url=p.admin_url,
            metrics_url=p.metrics_url,
            region=p.region,
            index=p.index,
            vendor=p.vendor,
            provider=p.provider,
        )
        for p in targets.components
    ]


def external_stack(
    phase: Phase,
    targets: ExternalTargets,
    api_key: str,
    *,
    path: Path,
    stack_dir: Path,
    seed: int = 0,
    components: Sequence[Component] | None = None,
    prometheus_url: str | None = None,
    supervisor_pid: int | None = None,
    token_file: str | None = None,
) -> Stack:
    """The ``Stack`` for the file; ``components``/``prometheus_url`` when the lab runs its
    own Prometheus beside it (the file's ``prometheus`` is then kept in
    ``phase_config.external.prometheus``)."""
    config = phase.as_config()
    config["external"] = {
        "max_rps": targets.max_rps,
        "targets_file": str(path.resolve()),
        "prometheus": targets.prometheus,
    }
    parts = external_components(targets) if components is None else list(components)
    # the keys (one may come from the environment) go to the stack's 0600 key file only
    load_keys = targets.load_api_keys or (api_key,)
    keys_file = Keys(dev=api_key, load=tuple(load_keys)).write(stack_dir / KEYS_FILE)
    return Stack(
        phase=phase.id, phase_title=phase.title, backend="external", seed=seed,
        created_at=time.time(), stack_dir=str(stack_dir), front_door=targets.front_door,
        api_key=api_key, load_api_keys=load_keys, keys_file=str(keys_file),
        prometheus_url=prometheus_url or targets.prometheus, proxy_api=targets.proxy_api,
        targets=phase.sla(), phase_config=config, components=tuple(parts),
        proxies=tuple(ProxyRoute(**msgspec.structs.asdict(r)) for r in targets.proxies),
        supervisor_pid=supervisor_pid, token_file=token_file,
    )  # fmt: skip


def describe(
    phase: str, path: Path, *, stack_dir: Path, seed: int = 0, allow_remote: bool = False
) -> Stack:
    """Write ``stack.json`` for the stack the file describes, without starting anything
    (no Prometheus of the lab's own); returns it."""
    targets, api_key = load_external(path, allow_remote=allow_remote)
    stack = external_stack(
        get_phase(phase), targets, api_key, path=path, stack_dir=stack_dir, seed=seed
    )
    write_stack(stack_dir, stack)
    return stack
