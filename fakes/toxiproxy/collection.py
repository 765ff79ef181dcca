"""The set of proxies by name: create, update, populate (idempotent), delete, reset.

Mutations are serialised by one lock (they bind and close sockets); reads never wait.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from fakes.toxiproxy.errors import (
    MISSING_FIELD,
    PROXY_EXISTS,
    PROXY_NOT_FOUND,
    ApiError,
)
from fakes.toxiproxy.gojson import GoType, decode_struct, type_error
from fakes.toxiproxy.metrics import Labels, ProxyMetrics
from fakes.toxiproxy.proxy import Proxy

__all__ = [
    "POPULATE_ITEM",
    "PROXY_STRUCT",
    "PopulateResult",
    "ProxyCollection",
    "ProxyInput",
    "parse_proxy_input",
]


@dataclass(frozen=True, slots=True)
class ProxyInput:
    """The fields of a proxy create/update/populate request."""

    name: str
    listen: str
    upstream: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class PopulateResult:
    """What ``/populate`` made, and the error that stopped it (if any)."""

    proxies: list[Proxy]
    error: ApiError | None


_PROXY_FIELDS: Final[dict[str, GoType]] = {
    "name": "string",
    "listen": "string",
    "upstream": "string",
    "enabled": "bool",
}
# Go's names for what Toxiproxy decodes a proxy body into (they appear in its errors).
PROXY_STRUCT: Final = ("Proxy", "toxiproxy.Proxy")
POPULATE_ITEM: Final = ("", 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }')
_POPULATE_LIST: Final = f"[]{POPULATE_ITEM[1]}"


def parse_proxy_input(
    body: object, *, defaults: ProxyInput, go_names: tuple[str, str] = PROXY_STRUCT
) -> ProxyInput:
    """Fields from a JSON object as Go decodes it (``null`` changes nothing, keys match
    case-insensitively), each missing one taken from ``defaults``. ``go_names`` are the
    Go struct and type names that Toxiproxy's type errors mention."""
    struct, value_type = go_names
    if body is None:
        return defaults
    if not isinstance(body, dict):
        raise type_error(body, "Go value", value_type)
    fields = decode_struct(body, _PROXY_FIELDS, struct=struct)
    return ProxyInput(
        name=str(fields.get("name", defaults.name)),
        listen=str(fields.get("listen", defaults.listen)),
        upstream=str(fields.get("upstream", defaults.upstream)),
        enabled=bool(fields.get("enabled", defaults.enabled)),
    )


_NEW = ProxyInput(name="", listen="", upstream="", enabled=True)


class ProxyCollection:
    """All proxies of one server."""

    def __init__(self, *, rng: random.Random, metrics: ProxyMetrics) -> None:
        self._proxies: dict[str, Proxy] = {}
        self._lock = asyncio.Lock()
        self._rng = rng
        self._metrics = metrics
        metrics.watch(self._live_bytes)

    def __iter__(self) -> Iterator[Proxy]:
        """The proxies in name order (Go marshals the ``/proxies`` map sorted by key)."""
        return iter([self._proxies[name] for name in sorted(self._proxies)])

    def __len__(self) -> int:
        return len(self._proxies)

    def _live_bytes(self) -> list[tuple[Labels, int, int]]:
        return [row for proxy in self for row in proxy.live_bytes()]

    def get(self, name: str) -> Proxy:
        """The named proxy, or 404."""
        proxy = self._proxies.get(name)
        if proxy is None:
            raise PROXY_NOT_FOUND
        return proxy

    def _new(self, spec: ProxyInput) -> Proxy:
        return Proxy(
            name=spec.name,
            listen=spec.listen,
            upstream=spec.upstream,
            rng=self._rng,
            metrics=self._metrics,
        )

    async def create(self, body: object) -> Proxy:
        """``POST /proxies``: 400 on missing name/upstream, 409 on a taken name."""
        spec = parse_proxy_input(body, defaults=_NEW)
        if not spec.name:
            raise MISSING_FIELD.joined("name")
        if not spec.upstream:
            raise MISSING_FIELD.joined("upstream")
        async with self._lock:
            if spec.name in self._proxies:
                raise PROXY_EXISTS
            proxy = self._new(spec)
            if spec.enabled:
                await proxy.start()
            self._proxies[spec.name] = proxy
            return proxy

    async def update(self, name: str, body: object) -> Proxy:
        """``POST/PATCH /proxies/{name}``: change listen, upstream or enabled."""
        async with self._lock:
            proxy = self.get(name)
            current = ProxyInput(proxy.name, proxy.listen, proxy.upstream, proxy.enabled)
            spec = parse_proxy_input(body, defaults=current)
            await proxy.update(listen=spec.listen, upstream=spec.upstream, enabled=spec.enabled)
            return proxy

    async def delete(self, name: str) -> None:
        """``DELETE /proxies/{name}``: stop it and forget it."""
        async with self._lock:
            proxy = self.get(name)
            await proxy.stop()
            del self._proxies[name]

    async def populate(self, body: object) -> PopulateResult:
        """``POST /populate``: create each proxy unless one with the same name, listen and
        upstream exists (then it is kept untouched, toxics included); a differing one is
        replaced. Input is validated before anything changes."""
        if body is None:
            body = []
        if not isinstance(body, list):
            raise type_error(body, "Go value", _POPULATE_LIST)
        specs = [parse_proxy_input(item, defaults=_NEW, go_names=POPULATE_ITEM) for item in body]
        for index, spec in enumerate(specs, start=1):
            if not spec.name:
                raise MISSING_FIELD.joined(f"name at proxy {index}")
            if not spec.upstream:
                raise MISSING_FIELD.joined(f"upstream at proxy {index}")
        done: list[Proxy] = []
        async with self._lock:
            for spec in specs:
                try:
                    done.append(await self._add_or_replace(spec))
                except ApiError as error:
                    return PopulateResult(done, error)
        return PopulateResult(done, None)

    async def _add_or_replace(self, spec: ProxyInput) -> Proxy:
        existing = self._proxies.get(spec.name)
        if existing is not None:
            if not await existing.differs(spec.listen, spec.upstream):
                return existing
            await existing.stop()
        proxy = self._new(spec)
        if spec.enabled:
            await proxy.start()
        self._proxies[spec.name] = proxy
        return proxy

    async def reset(self) -> None:
        """``POST /reset``: enable every proxy and remove every toxic."""
        async with self._lock:
            for proxy in self:
                await proxy.start()
                proxy.reset_toxics()

    async def close(self) -> None:
        """Stop every proxy (server shutdown)."""
        async with self._lock:
            for proxy in self:
                await proxy.stop()
