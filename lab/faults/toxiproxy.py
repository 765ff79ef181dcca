"""Toxiproxy for the lab: a typed client over ``toxiproxy-python`` (the server itself, real
or ours, is started by ``lab.servers.toxiproxy``).

``ToxiproxyClient(api_url)`` keeps toxiproxy-python's surface (``proxies()``, ``create()``,
``populate()``, ``reset()``, ``Proxy.add_toxic()``, ``Proxy.down()``...) and fixes what
0.1.1 gets wrong on Python 3.11 against the 2.x API:

1. host and port live on the shared ``APIConsumer`` class, so two clients (say, the real
   server and ours) overwrite each other; here each client owns its connection.
2. no request timeout: a stuck server hangs the caller forever; here every call has one.
3. only 400/404/409 raise; a 500 (e.g. listen address in use) passes as success and then
   fails with ``KeyError('name')``; here every status >= 400 raises a typed error carrying
   the server's ``{"error", "status"}`` (subclasses of toxiproxy-python's exceptions, so
   ``except toxiproxy.exceptions.NotFound`` keeps working).
4. ``add_toxic`` returns ``None`` and there is no way to update a toxic or a proxy's
   listen/upstream; here they return typed values and ``update_toxic``/``update`` exist.
5. ``populate`` loops over ``create`` instead of calling ``/populate``, compares ``listen``
   textually (``localhost:1`` vs ``127.0.0.1:1``) and so recreates proxies, dropping their
   toxics and connections, and fails with ``KeyError`` on an entry without ``listen``; here
   it posts to ``/populate``, which is idempotent (an empty result comes back as ``null``).
6. ``version()`` returns raw bytes (and ``running()`` only tries IPv4); here a ``str``.
7. it needs the ``future`` Python 2 shim and ``requests``; this client uses ``httpx``.
8. it puts proxy and toxic names into URL paths unescaped, so a name holding ``?``, ``#``
   or ``%`` can be created but never read, changed or deleted; here names are escaped.

``lab.servers.ToxiproxyServer`` starts the right server process.

Longer than most modules (about 380 lines) on purpose: it mirrors toxiproxy-python's surface
(its exceptions, ``Proxy`` and ``Toxiproxy``) with the typed values they return, so the whole
wrapper and everything it fixes above read in one place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, Literal, ParamSpec, Self
from urllib.parse import quote

import httpx
import toxiproxy
import toxiproxy.exceptions

__all__ = [
    "BadRequest",
    "Conflict",
    "NotFound",
    "ProxyHandle",
    "ProxyInfo",
    "ServerError",
    "ToxicInfo",
    "ToxiproxyClient",
    "ToxiproxyError",
]

Stream = Literal["upstream", "downstream"]


class ToxiproxyError(Exception):
    """The server answered with an error (``status`` and its ``error`` message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class NotFound(ToxiproxyError, toxiproxy.exceptions.NotFound):  # type: ignore[misc]
    """404: no such proxy or toxic."""


class Conflict(ToxiproxyError, toxiproxy.exceptions.ProxyExists):  # type: ignore[misc]
    """409: a proxy or toxic with that name exists."""


class BadRequest(ToxiproxyError, toxiproxy.exceptions.InvalidToxic):  # type: ignore[misc]
    """400: missing field, bad stream, unknown toxic type, malformed JSON."""


class ServerError(ToxiproxyError):
    """Any other failure status (500: listen address in use...)."""


_ERRORS: dict[int, type[ToxiproxyError]] = {404: NotFound, 409: Conflict, 400: BadRequest}


@dataclass(frozen=True, slots=True)
class ToxicInfo:
    """A toxic as the server reports it."""

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToxicInfo:
        return cls(
            name=str(data["name"]),
            type=str(data["type"]),
            stream=str(data.get("stream", "downstream")),
            toxicity=float(data.get("toxicity", 1.0)),
            attributes=dict(data.get("attributes") or {}),
        )


@dataclass(frozen=True, slots=True)
class ProxyInfo:
    """A proxy as the server reports it."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicInfo, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProxyInfo:
        return cls(
            name=str(data["name"]),
            listen=str(data["listen"]),
            upstream=str(data["upstream"]),
            enabled=bool(data["enabled"]),
            toxics=tuple(ToxicInfo.from_json(t) for t in data.get("toxics") or ()),
        )

    @property
    def host(self) -> str:
        """The host clients connect to (a wildcard listen address maps to loopback)."""
        host = self.listen.rpartition(":")[0].strip("[]")
        return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


def _segment(name: str) -> str:
    """A proxy or toxic name as one URL path segment: ``?``, ``#``, ``%`` and ``/`` escaped
    (both servers decode the path before routing), so every name the API accepted can be
    addressed again."""
    return quote(name, safe="")


class _Consumer:
    """One server's HTTP API (what toxiproxy-python's global ``APIConsumer`` should be)."""

    def __init__(self, api_url: str, *, timeout: float) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, timeout=timeout)

    def request(self, method: str, path: str, body: object = None) -> Any:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                message = str(response.json()["error"])
            except (ValueError, KeyError, TypeError):
                message = response.text.strip()
            raise _ERRORS.get(response.status_code, ServerError)(response.status_code, message)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def close(self) -> None:
        self._http.close()


_P = ParamSpec("_P")


def _while_in_block(
    add: Callable[Concatenate[ProxyHandle, _P], ToxicInfo],
) -> Callable[Concatenate[ProxyHandle, _P], contextlib.AbstractContextManager[ToxicInfo]]:
    """``add``'s context-manager twin, taking the same arguments (declared once, on ``add``):
    the toxic it adds is removed when the ``with`` block ends."""

    @contextlib.contextmanager
    def toxic(proxy: ProxyHandle, /, *args: _P.args, **kwargs: _P.kwargs) -> Iterator[ToxicInfo]:
        info = add(proxy, *args, **kwargs)
        try:
            yield info
        finally:
            with contextlib.suppress(NotFound):
                proxy.destroy_toxic(info.name)

    toxic.__doc__ = "A toxic present for the duration of the ``with`` block (as ``add_toxic``)."
    return toxic


class ProxyHandle(toxiproxy.Proxy):  # type: ignore[misc]
    """toxiproxy-python's ``Proxy`` bound to one server, with typed results."""

    def __init__(self, consumer: _Consumer, info: ProxyInfo) -> None:
        super().__init__(
            name=info.name, upstream=info.upstream, enabled=info.enabled, listen=info.listen
        )
        self._consumer = consumer
        self.info = info

    @property
    def host(self) -> str:
        return self.info.host

    @property
    def port(self) -> int:
        return self.info.port

    def _path(self, *parts: str) -> str:
        return "/".join(("/proxies", _segment(self.name), *map(_segment, parts)))

    def refresh(self) -> ProxyInfo:
        """Re-read this proxy from the server."""
        self._set(ProxyInfo.from_json(self._consumer.request("GET", self._path())))
        return self.info

    def _set(self, info: ProxyInfo) -> None:
        self.info = info
        self.listen, self.upstream, self.enabled = info.listen, info.upstream, info.enabled

    def toxics(self) -> dict[str, ToxicInfo]:
        data = self._consumer.request("GET", self._path("toxics"))
        return {t["name"]: ToxicInfo.from_json(t) for t in data}

    def get_toxic(self, toxic_name: str) -> ToxicInfo | None:
        return self.toxics().get(toxic_name)

    def add_toxic(
        self,
        *,
        type: str,
        stream: Stream = "downstream",
        name: str | None = None,
        toxicity: float = 1.0,
        attributes: Mapping[str, int] | None = None,
    ) -> ToxicInfo:
        """Add a toxic (name defaults to ``<type>_<stream>``); 409 if the name is taken."""
        body = {
            "name": name or f"{type}_{stream}",
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": dict(attributes or {}),
        }
        return ToxicInfo.from_json(self._consumer.request("POST", self._path("toxics"), body))

    def update_toxic(
        self,
        name: str,
        *,
        toxicity: float | None = None,
        attributes: Mapping[str, int] | None = None,
    ) -> ToxicInfo:
        """Change a toxic's toxicity and/or attributes (the others stay)."""
        body: dict[str, object] = {}
        if toxicity is not None:
            body["toxicity"] = toxicity
        if attributes is not None:
            body["attributes"] = dict(attributes)
        return ToxicInfo.from_json(self._consumer.request("POST", self._path("toxics", name), body))

    def destroy_toxic(self, toxic_name: str) -> bool:
        self._consumer.request("DELETE", self._path("toxics", toxic_name))
        return True

    toxic = _while_in_block(add_toxic)

    def update(
        self, *, listen: str | None = None, upstream: str | None = None, enabled: bool | None = None
    ) -> ProxyInfo:
        """Change listen, upstream or enabled (a new address restarts the proxy)."""
        body = {
            k: v
            for k, v in {"listen": listen, "upstream": upstream, "enabled": enabled}.items()
            if v is not None
        }
        self._set(ProxyInfo.from_json(self._consumer.request("POST", self._path(), body)))
        return self.info

    def destroy(self) -> bool:
        self._consumer.request("DELETE", self._path())
        return True

    def disable(self) -> None:
        """Stop listening and drop every connection."""
        self.update(enabled=False)

    def enable(self) -> None:
        """Listen again."""
        self.update(enabled=True)


class ToxiproxyClient(toxiproxy.Toxiproxy):  # type: ignore[misc]
    """toxiproxy-python's ``Toxiproxy`` for the server at ``api_url``."""

    def __init__(self, api_url: str = "http://127.0.0.1:8474", *, timeout: float = 10.0) -> None:
        self._consumer = _Consumer(api_url, timeout=timeout)

    @property
    def api_url(self) -> str:
        return self._consumer.api_url

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self, data: Mapping[str, Any]) -> ProxyHandle:
        return ProxyHandle(self._consumer, ProxyInfo.from_json(data))

    def proxies(self) -> dict[str, ProxyHandle]:
        data = self._consumer.request("GET", "/proxies")
        return {name: self._handle(values) for name, values in data.items()}

    def get_proxy(self, proxy_name: str) -> ProxyHandle | None:
        try:
            return self._handle(self._consumer.request("GET", f"/proxies/{_segment(proxy_name)}"))
        except NotFound:
            return None

    def create(
        self,
        upstream: str,
        name: str,
        listen: str | None = None,
        enabled: bool | None = None,
    ) -> ProxyHandle:
        """Create a proxy (listen defaults to ``127.0.0.1:0``: a free loopback port)."""
        body: dict[str, object] = {
            "name": name,
            "upstream": upstream,
            "listen": listen or "127.0.0.1:0",
        }
        if enabled is not None:
            body["enabled"] = enabled
        return self._handle(self._consumer.request("POST", "/proxies", body))

    def destroy(self, proxy: ProxyHandle | str) -> bool:
        name = proxy if isinstance(proxy, str) else proxy.name
        self._consumer.request("DELETE", f"/proxies/{_segment(name)}")
        return True

    def destroy_all(self) -> None:
        for name in self.proxies():
            with contextlib.suppress(NotFound):
                self.destroy(name)

    def populate(self, proxies: Sequence[Mapping[str, object]]) -> list[ProxyHandle]:
        """``POST /populate``: idempotent create-or-replace of the listed proxies."""
        data = self._consumer.request("POST", "/populate", [dict(p) for p in proxies])
        return [self._handle(values) for values in data.get("proxies") or ()]

    def reset(self) -> bool:
        """Enable every proxy and remove every toxic."""
        self._consumer.request("POST", "/reset")
        return True

    def version(self) -> str | None:
        try:
            data = self._consumer.request("GET", "/version")
        except httpx.HTTPError:
            return None
        return str(data["version"])

    def running(self) -> bool:
        return self.version() is not None

    def metrics(self) -> str:
        """The Prometheus text of ``GET /metrics``."""
        response = httpx.get(f"{self.api_url}/metrics", timeout=10.0)
        response.raise_for_status()
        return response.text

    def update_api_consumer(self, host: str, port: int) -> None:
        self._consumer.close()
        self._consumer = _Consumer(f"http://{host}:{port}", timeout=10.0)
