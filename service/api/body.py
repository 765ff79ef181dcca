"""The request class of the service: JSON bodies nested too deeply are a client error.

Litestar decodes a JSON body with msgspec, which recurses once per nesting level and
raises ``RecursionError`` near Python's recursion limit (about 1000 levels: a 2 KB body of
``[`` is enough). Litestar only turns ``msgspec.DecodeError`` into a 400, so such a body
was a 500 with a traceback logged per request. ``BodyRequest`` makes it what it is, a
malformed body: ``ClientException`` (400), which ``to_problem`` answers like any other
JSON that does not parse (problem+json, or OpenAI's error shape on the completions route).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

__all__ = ["TOO_DEEP", "BodyRequest"]

TOO_DEEP = "JSON is malformed: nested too deeply"


class BodyRequest(Request[Any, Any, Any]):
    """Litestar's ``Request`` whose ``json()`` answers a too-deep body with a 400."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ClientException(detail=TOO_DEEP, status_code=400) from None
