"""The HTTP API, route for route and status for status Toxiproxy 2.x's ``api.go``.

Successful bodies are compact JSON; errors are ``{"error": msg, "status": code}`` sent the
way Go's ``http.Error`` sends them (``text/plain``, trailing newline). Proxy create and
``/populate`` answer 201, deletes and ``/reset`` 204, everything else 200.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from fakes.toxiproxy.collection import ProxyCollection
from fakes.toxiproxy.errors import BAD_REQUEST_BODY, ApiError
from fakes.toxiproxy.metrics import ProxyMetrics

__all__ = ["VERSION", "build_app"]

VERSION: Final = "2.12.0"

_COLLECTION: Final = web.AppKey("collection", ProxyCollection)
_METRICS: Final = web.AppKey("metrics", ProxyMetrics)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: object, status: int = 200) -> web.Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def _error(error: ApiError) -> web.Response:
    body = json.dumps(error.to_json(), separators=(",", ":")) + "\n"
    return web.Response(
        text=body,
        status=error.status,
        headers={"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
    )


async def _body(request: web.Request) -> object:
    raw = await request.read()
    if not raw.strip():
        raise BAD_REQUEST_BODY.joined("EOF")
    try:
        return json.loads(raw)
    except ValueError as error:
        raise BAD_REQUEST_BODY.joined(str(error)) from None


@web.middleware
async def _guard(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Refuse browsers (as Toxiproxy does) and render ``ApiError`` once."""
    if request.headers.get("User-Agent", "").startswith("Mozilla/"):
        return web.Response(text="User agent not allowed\n", status=403)
    try:
        return await handler(request)
    except ApiError as error:
        return _error(error)


def _collection(request: web.Request) -> ProxyCollection:
    return request.app[_COLLECTION]


async def proxy_index(request: web.Request) -> web.Response:
    return _json({proxy.name: proxy.to_json() for proxy in _collection(request)})


async def proxy_create(request: web.Request) -> web.Response:
    proxy = await _collection(request).create(await _body(request))
    return _json(proxy.to_json(), status=201)


async def populate(request: web.Request) -> web.Response:
    result = await _collection(request).populate(await _body(request))
    data: dict[str, object] = {}
    status = 201
    if result.error is not None:
        data = result.error.to_json()
        status = result.error.status
    # Go marshals an empty result as null, and so do we.
    data["proxies"] = [proxy.to_json() for proxy in result.proxies] or None
    return _json(data, status=status)


async def proxy_show(request: web.Request) -> web.Response:
    return _json(_collection(request).get(request.match_info["proxy"]).to_json())


async def proxy_update(request: web.Request) -> web.Response:
    collection = _collection(request)
    name = request.match_info["proxy"]
    collection.get(name)  # 404 before reading the body, as Toxiproxy does
    proxy = await collection.update(name, await _body(request))
    return _json(proxy.to_json())


async def proxy_delete(request: web.Request) -> web.Response:
    await _collection(request).delete(request.match_info["proxy"])
    return web.Response(status=204)


async def toxic_index(request: web.Request) -> web.Response:
    return _json(_collection(request).get(request.match_info["proxy"]).toxics_json())


async def toxic_create(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json(proxy.add_toxic(await _body(request)).to_json())


async def toxic_show(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    return _json(proxy.get_toxic(request.match_info["toxic"]).to_json())


async def toxic_update(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    toxic = proxy.update_toxic(request.match_info["toxic"], await _body(request))
    return _json(toxic.to_json())


async def toxic_delete(request: web.Request) -> web.Response:
    proxy = _collection(request).get(request.match_info["proxy"])
    proxy.remove_toxic(request.match_info["toxic"])
    return web.Response(status=204)


async def reset(request: web.Request) -> web.Response:
    await _collection(request).reset()
    return web.Response(status=204)


async def version(request: web.Request) -> web.Response:
    del request
    return web.Response(
        text=json.dumps({"version": VERSION}) + "\n",
        headers={"Content-Type": "application/json;charset=utf-8"},
    )


async def metrics(request: web.Request) -> web.Response:
    body = request.app[_METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})


def build_app(collection: ProxyCollection, proxy_metrics: ProxyMetrics) -> web.Application:
    """The aiohttp application serving Toxiproxy's endpoints over ``collection``."""
    app = web.Application(middlewares=[_guard], client_max_size=16 << 20)
    app[_COLLECTION] = collection
    app[_METRICS] = proxy_metrics
    app.router.add_post("/reset", reset)
    app.router.add_get("/proxies", proxy_index, allow_head=False)
    app.router.add_post("/proxies", proxy_create)
    app.router.add_post("/populate", populate)
    app.router.add_get("/proxies/{proxy}", proxy_show, allow_head=False)
    app.router.add_post("/proxies/{proxy}", proxy_update)
    app.router.add_patch("/proxies/{proxy}", proxy_update)
    app.router.add_delete("/proxies/{proxy}", proxy_delete)
    app.router.add_get("/proxies/{proxy}/toxics", toxic_index, allow_head=False)
    app.router.add_post("/proxies/{proxy}/toxics", toxic_create)
    app.router.add_get("/proxies/{proxy}/toxics/{toxic}", toxic_show, allow_head=False)
    app.router.add_post("/proxies/{proxy}/toxics/{toxic}", toxic_update)
    app.router.add_patch("/proxies/{proxy}/toxics/{toxic}", toxic_update)
    app.router.add_delete("/proxies/{proxy}/toxics/{toxic}", toxic_delete)
    app.router.add_get("/version", version, allow_head=False)
    app.router.add_get("/metrics", metrics, allow_head=False)
    return app
