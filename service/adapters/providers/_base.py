"""What both SDK adapters share: the client they own, model mapping, readiness and close."""

from __future__ import annotations

import abc
import asyncio
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx2

from service.adapters.providers._http import call_timeout, pool_limits
from service.adapters.providers.config import ProviderConfig
from service.domain.errors import ProviderError
from service.domain.types import ChatRequest

__all__ = ["SDKProvider"]


class _SDKClient(Protocol):
    """The part of ``openai.AsyncOpenAI`` and ``anthropic.AsyncAnthropic`` used here."""

    @property
    def models(self) -> Any: ...

    async def close(self) -> None: ...


C = TypeVar("C", bound=_SDKClient)


class SDKProvider(abc.ABC, Generic[C]):
    """One upstream reached through its vendor's SDK client, which this object owns."""

    kind: ClassVar[str]

    def __init__(self, config: ProviderConfig) -> None:
        if config.kind != self.kind:
            name = type(self).__name__
            raise ValueError(f"{name} needs kind {self.kind!r}, got {config.kind!r}")
        self.config = config
        self._client: C = self._build_client(
            config, timeout=call_timeout(config, config.timeouts.total), limits=pool_limits(config)
        )

    @abc.abstractmethod
    def _build_client(
        self, config: ProviderConfig, *, timeout: httpx2.Timeout, limits: httpx2.Limits
    ) -> C:
        """The SDK client: ``max_retries=0``, on aiohttp unless ``http_backend="httpx"``."""

    @property
    def name(self) -> str:
        return self.config.name

    def serves(self, model: str) -> bool:
        return self.config.vendor_model(model) is not None

    def _vendor_model(self, request: ChatRequest) -> str:
        """The vendor's name for the requested model; ``not_found`` when not served."""
        vendor = self.config.vendor_model(request.model)
        if vendor is None:
            raise ProviderError(
                f"{self.name} does not serve {request.model!r}",
                provider=self.name,
                kind="not_found",
                retryable=False,
            )
        return vendor

    async def ping(self) -> bool:
        """``GET /v1/models`` answers within the connect + first-token timeouts."""
        t = self.config.timeouts
        try:
            async with asyncio.timeout(t.connect + t.first_token):
                await self._client.models.list(timeout=call_timeout(self.config, t.first_token))
        except Exception:
            return False
        return True

    async def aclose(self) -> None:
        await self._client.close()
