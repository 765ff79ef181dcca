"""Shared plumbing of the SDK adapters: HTTP clients, timeouts and deadline reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeVar

import httpx2

from service.adapters.providers.config import ProviderConfig
from service.adapters.providers.errors import VENDOR_ERRORS, to_provider_error
from service.domain.errors import ProviderError

__all__ = ["call_timeout", "next_before", "pool_limits", "stream_timeout"]

T = TypeVar("T")


def pool_limits(config: ProviderConfig) -> httpx2.Limits:
    return httpx2.Limits(
        max_connections=config.max_connections,
        max_keepalive_connections=config.max_connections,
        keepalive_expiry=30.0,
    )


def call_timeout(config: ProviderConfig, total: float) -> httpx2.Timeout:
    """A non-streaming call: nothing arrives until the answer, so reads may take ``total``."""
    t = config.timeouts
    return httpx2.Timeout(total, connect=t.connect, pool=t.connect, write=t.connect + total)


def stream_timeout(config: ProviderConfig, first_token: float, total: float) -> httpx2.Timeout:
    """A stream: reads may stay silent at most ``first_token`` seconds each."""
    t = config.timeouts
    return httpx2.Timeout(total, connect=t.connect, read=first_token, pool=t.connect)


async def next_before(
    events: AsyncIterator[T],
    deadline: float,
    *,
    provider: str,
    errors: tuple[type[Exception], ...] = VENDOR_ERRORS,
) -> T:
    """The next item of an opened SDK stream, or ``ProviderError`` (kind ``timeout`` when
    ``deadline`` on the loop clock passes, ``stream`` for anything in ``errors``: pass
    the SDK's base error with ``VENDOR_ERRORS``). ``StopAsyncIteration`` passes through."""
    try:
        async with asyncio.timeout_at(deadline):
            return await anext(events)
    except StopAsyncIteration:
        raise
    except ProviderError:
        raise
    except errors as exc:
        raise to_provider_error(exc, provider=provider, in_stream=True) from exc
