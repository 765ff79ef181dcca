"""LLM provider adapters over the official SDKs (``openai``, ``anthropic``)."""

from service.adapters.providers.config import ProviderConfig, ProviderTimeouts, build_provider
from service.adapters.providers.errors import parse_retry_after, to_provider_error

__all__ = [
    "ProviderConfig",
    "ProviderTimeouts",
    "build_provider",
    "parse_retry_after",
    "to_provider_error",
]
