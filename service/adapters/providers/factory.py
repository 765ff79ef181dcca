"""``build_provider``: a ``ProviderConfig`` becomes its vendor's adapter.

Beside the adapters rather than in ``config`` (which every adapter imports), so the
settings module imports nothing that imports it back. Each SDK is imported on the first
adapter of its kind (``anthropic`` alone takes about two seconds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.adapters.providers.config import ProviderConfig

if TYPE_CHECKING:
    from service.domain.ports import LLMProvider

__all__ = ["build_provider"]


def build_provider(config: ProviderConfig) -> LLMProvider:
    """The adapter for ``config.kind``; the caller owns it (``aclose``)."""
    if config.kind == "openai":
        from service.adapters.providers.openai import OpenAIProvider

        return OpenAIProvider(config)
    from service.adapters.providers.anthropic import AnthropicProvider

    return AnthropicProvider(config)
