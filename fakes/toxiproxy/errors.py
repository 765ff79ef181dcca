"""The API's errors: a message and an HTTP status, rendered as ``{"error": ..., "status": N}``.

The messages and statuses are Toxiproxy 2.x's own (``api.go``), so a client that matches on
them cannot tell the two servers apart.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BAD_REQUEST_BODY",
    "INVALID_STREAM",
    "INVALID_TOXIC_TYPE",
    "MISSING_FIELD",
    "PROXY_EXISTS",
    "PROXY_NOT_FOUND",
    "TOXIC_EXISTS",
    "TOXIC_NOT_FOUND",
    "ApiError",
]


class ApiError(Exception):
    """An API failure with the HTTP status it maps to."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def joined(self, detail: str) -> ApiError:
        """This error with ``": detail"`` appended, as Toxiproxy's ``joinError`` does."""
        return ApiError(f"{self.message}: {detail}", self.status)

    def to_json(self) -> dict[str, object]:
        """The body Toxiproxy sends for this error."""
        return {"error": self.message, "status": self.status}


BAD_REQUEST_BODY: Final = ApiError("bad request body", 400)
MISSING_FIELD: Final = ApiError("missing required field", 400)
PROXY_NOT_FOUND: Final = ApiError("proxy not found", 404)
PROXY_EXISTS: Final = ApiError("proxy already exists", 409)
INVALID_STREAM: Final = ApiError("stream was invalid, can be either upstream or downstream", 400)
INVALID_TOXIC_TYPE: Final = ApiError("invalid toxic type", 400)
TOXIC_EXISTS: Final = ApiError("toxic already exists", 409)
TOXIC_NOT_FOUND: Final = ApiError("toxic not found", 404)
