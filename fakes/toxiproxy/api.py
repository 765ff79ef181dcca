"""The HTTP API, route for route and status for status Toxiproxy 2.x's ``api.go``.

Bodies are read and written as Go's ``encoding/json`` does (see ``gojson``). Errors are
``{"error": msg, "status": code}`` sent the way Go's ``http.Error`` sends them
(``text/plain``, trailing newline), except ``/populate``'s, which are JSON with the proxies
made so far. Unrouted requests get gorilla/mux's bare 404 and 405, unclean paths
(``//proxies``) its 301 to the clean one. Proxy create and ``/populate`` answer 201, deletes
and ``/reset`` 204, everything else 200.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import quote

from aiohttp import web

from fakes.toxiproxy.collection import PopulateResult, ProxyCollection
from fakes.toxiproxy.errors import ApiError
from fakes.toxiproxy.gojson import decode
from fakes.toxiproxy.metrics import ProxyMetrics
from fakes.toxiproxy.request_id import HEADER as REQUEST_ID
from fakes.toxiproxy.request_id import new_request_id

__all__ = ["VERSION", "build_app"]

VERSION: Final = "2.12.0"

_COLLECTION: Final = web.AppKey("collection", ProxyCollection)
_METRICS: Final = web.AppKey("metrics", ProxyMetrics)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# Go's json.Marshal escapes these (HTML safety) and writes other non-ASCII text as is.
_GO_ESCAPES: Final = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _marshal(data: object) -> str:
    """Compact JSON as Go's ``json.Marshal`` writes it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).translate(_GO_ESCAPES)


def _json(data: object, status: int = 200) -> web.Response:
    body = _marshal(data).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def _error(error: ApiError) -> web.Response:
    return web.Response(
        text=_marshal(error.to_json()) + "\n",
        status=error.status,
        headers={"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
    )


async def _body(request: web.Request) -> object:
    return decode(await request.read())


def _clean_path(path: str) -> str:
    """gorilla/mux's ``cleanPath``: ``path.Clean`` (no ``//``, ``.``, ``..``), rooted, with a
    trailing slash kept."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    clean = "/" + "/".join(parts)
    if path.endswith("/") and clean != "/":
        clean += "/"
    return clean


@web.middleware
async def _guard(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """Redirect unclean paths and answer unrouted requests as gorilla/mux does; give every
    routed request an ``X-Toxiproxy-Request-Id``, refuse browsers (as Toxiproxy does) and
    render ``ApiError`` once. mux runs Toxiproxy's middlewares (the request id among them)
    only on a route match, so its 301, 404 and 405 carry no request id."""
    clean = _clean_path(request.path)
    if clean != request.path:
        _, mark, query = request.raw_path.partition("?")
        location = quote(clean, safe="/!$&'()*+,;=:@~") + mark + query
        return web.Response(status=301, headers={"Location": location})
    missing = request.match_info.http_exception
    if isinstance(missing, web.HTTPMethodNotAllowed):
        return web.Response(status=405)  # mux: empty body, no middleware
    if missing is not None:
        return web.Response(
            text="404 page not found\n",
            status=404,
            headers={
                "Content-Type": "text/plain; charset=utf-8",
                "X-Content-Type-Options": "nosniff",
            },
        )
    response = await _routed(request, handler)
    response.headers[REQUEST_ID] = new_request_id()
    return response


async def _routed(request: web.Request, handler: _Handler) -> web.StreamResponse:
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
    """Toxiproxy answers every outcome here with one JSON object (``application/json``,
    even for errors): ``{"error", "status", "proxies"}``, ``proxies`` being what was made
    before the error, ``null`` when nothing was."""
    try:
        result = await _collection(request).populate(await _body(request))
    except ApiError as error:
        result = PopulateResult([], error)
    data: dict[str, object] = {}
    status = 201
    if result.error is not None:
        data = result.error.to_json()
        status = result.error.status
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
    content_type = "text/plain; version=0.0.4; charset=utf-8"
    return web.Response(body=body, headers={"Content-Type": content_type})


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
