"""What a vendor's wire format must provide to the fake's app (one implementation per vendor).

The app owns timing, faults and I/O; a ``Wire`` only turns requests into ``Parsed`` values
and answers, errors and stream frames into bytes, so each vendor's shapes live in one module.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from fakes.llm.quota import QuotaStatus
from fakes.llm.text import Answer, count_tokens

__all__ = ["Frames", "Headers", "Parsed", "Wire", "WireError", "prompt_tokens"]

Headers = list[tuple[str, str]]


def prompt_tokens(contents: list[str]) -> int:
    """Prompt tokens: each message's tokens plus 3 for its framing, plus 3 for the reply."""
    return sum(count_tokens(c) + 3 for c in contents) + 3


@dataclass(frozen=True, slots=True)
class Parsed:
    """A valid chat request, vendor-neutral."""

    model: str
    prompt: str  # the text the answer is derived from
    prompt_tokens: int
    max_tokens: int | None
    stream: bool
    include_usage: bool = False


@dataclass(frozen=True, slots=True)
class WireError:
    """A request the vendor would refuse as malformed (400)."""

    message: str
    param: str | None = None


@dataclass(frozen=True, slots=True)
class Frames:
    """A stream's frames: ``head`` before the first token, one per token, then ``tail``."""

    head: list[bytes]
    tokens: list[bytes]
    tail: list[bytes]


class Wire(abc.ABC):
    """One vendor's API shapes."""

    vendor: str
    chat_path: str

    @abc.abstractmethod
    def api_key(self, authorization: str | None, x_api_key: str | None) -> str | None:
        """The API key the request carries, or None."""

    @abc.abstractmethod
    def parse(self, body: bytes) -> Parsed | WireError:
        """Decode a chat request."""

    @abc.abstractmethod
    def complete(self, request: Parsed, answer: Answer, request_id: str) -> bytes:
        """The non-streaming answer body (JSON)."""

    @abc.abstractmethod
    def frames(self, request: Parsed, answer: Answer, request_id: str) -> Frames:
        """The SSE frames of a streamed answer."""

    @abc.abstractmethod
    def malformed_json(self, request: Parsed, request_id: str) -> bytes:
        """A frame whose JSON is cut short."""

    @abc.abstractmethod
    def error_event(self, request_id: str) -> bytes:
        """The frame the vendor sends when a stream fails server-side."""

    @abc.abstractmethod
    def error(
        self,
        status: int,
        reason: str,
        *,
        request: Parsed | None,
        quota: QuotaStatus | None = None,
        limit: int = 0,
        detail: str = "",
    ) -> bytes:
        """The vendor's error body for ``status``.

        ``reason`` is one of auth, context, quota, error, outage, bad_request, not_found, hang.
        """

    @abc.abstractmethod
    def quota_headers(self, quota: QuotaStatus) -> Headers:
        """The vendor's rate-limit headers."""

    @abc.abstractmethod
    def models(self) -> bytes:
        """The body of ``GET /v1/models``."""

    request_id_header: str = "x-request-id"
