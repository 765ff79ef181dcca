"""LLM provider adapters over the official SDKs (``openai``, ``anthropic``).

Importing this package is cheap: it loads the provider settings only. The error mapping
(``httpx2``, ``aiohttp``) loads on first use of ``parse_retry_after`` or
``to_provider_error``, and each SDK when ``build_provider`` first builds an adapter of its
kind (``anthropic`` alone takes about two seconds to import).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from service.adapters.providers.config import ProviderConfig, ProviderTimeouts
from service.adapters.providers.factory import build_provider

if TYPE_CHECKING:
    from service.adapters.providers.errors import parse_retry_after, to_provider_error

__all__ = [
    "ProviderConfig",
    "ProviderTimeouts",
    "build_provider",
    "parse_retry_after",
    "to_provider_error",
]

_LAZY = {"parse_retry_after", "to_provider_error"}


def __getattr__(name: str) -> Any:
    """Load the error mapping on first use of one of its names."""
    if name in _LAZY:
        module = importlib.import_module("service.adapters.providers.errors")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
