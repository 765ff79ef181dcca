"""A Toxiproxy-compatible fault proxy: Toxiproxy 2.x's HTTP API and toxics on asyncio.

The lab uses the real ``toxiproxy-server`` when it is on PATH and this server otherwise; a
client (``toxiproxy-python``, the Go or Ruby client) cannot tell them apart. See README.md.

    server = ToxiproxyServer(port=0)
    await server.start()          # API on server.api_url
    ...
    await server.stop()
"""

from fakes.toxiproxy.api import VERSION
from fakes.toxiproxy.errors import ApiError
from fakes.toxiproxy.server import DEFAULT_HOST, DEFAULT_PORT, ToxiproxyServer, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "VERSION", "ApiError", "ToxiproxyServer", "serve"]
