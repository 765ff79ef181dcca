"""Provider settings: one ``ProviderConfig`` per entry of the provider chain.

The app builds these from the environment; ``factory.build_provider`` turns one into an
``LLMProvider`` adapter (the SDK modules are imported only then). ``repr`` never shows the API key.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["ProviderConfig", "ProviderTimeouts"]


class ProviderTimeouts(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Timeouts of one provider, seconds. Per-call values from the router are capped by these.

    - ``connect``: TCP (and TLS) connect, and waiting for a pooled connection (2.0).
    - ``first_token``: from sending a request until its first token (streams) or the
      response headers; also the longest silence allowed between stream chunks (15.0).
    - ``total``: a whole call, stream included, from start to last byte (120.0).
    """

    connect: float = 2.0
    first_token: float = 15.0
    total: float = 120.0

    def __post_init__(self) -> None:
        if min(self.connect, self.first_token, self.total) <= 0:
            raise ValueError("timeouts must be > 0")


class ProviderConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One upstream.

    - ``name``: unique label (metrics, logs, breaker), e.g. ``openai-primary``.
    - ``kind``: ``openai`` (Chat Completions API) or ``anthropic`` (Messages API).
    - ``api_key``: the vendor key; never logged.
    - ``base_url``: API root; ``None`` for the vendor's default. OpenAI's includes ``/v1``
      (``http://127.0.0.1:9001/v1``), Anthropic's does not.
    - ``model_map``: public model name -> vendor model name; the provider serves exactly
      these public names. Empty: it serves every name, passed through unchanged.
    - ``timeouts``: see ``ProviderTimeouts``.
    - ``http_backend``: ``aiohttp`` (the SDKs' aiohttp transport, faster) or ``httpx``.
    - ``max_connections``: connection pool size towards this upstream (100).
    """

    name: str
    kind: Literal["openai", "anthropic"]
    api_key: str
    base_url: str | None = None
    model_map: dict[str, str] = msgspec.field(default_factory=dict)
    timeouts: ProviderTimeouts = msgspec.field(default_factory=ProviderTimeouts)
    http_backend: Literal["aiohttp", "httpx"] = "aiohttp"
    max_connections: int = 100

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("name must not be empty")
        if self.max_connections < 1:
            raise ValueError("max_connections must be >= 1")

    def __repr__(self) -> str:
        return (
            f"ProviderConfig(name={self.name!r}, kind={self.kind!r}, api_key='***', "
            f"base_url={self.base_url!r}, model_map={self.model_map!r}, "
            f"timeouts={self.timeouts!r}, http_backend={self.http_backend!r})"
        )

    def vendor_model(self, model: str) -> str | None:
        """The vendor's name for public ``model``, or ``None`` when not served."""
        if not self.model_map:
            return model
        return self.model_map.get(model)
