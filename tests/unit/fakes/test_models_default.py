"""The fakes' default model lists include every model the service and its tests send."""

from __future__ import annotations

from fakes.llm.app import default_models
from service.settings import ChatLimits
from tests.fixtures.service import provider_config


def test_service_default_model_is_served_by_the_openai_fake() -> None:
    """The service's default model (CHAT_DEFAULT_MODEL's fallback) is in the OpenAI list."""
    assert ChatLimits().default_model in default_models("openai")


def test_the_test_chain_vendor_models_are_served() -> None:
    """The vendor models the service's test chain maps to are served by each fake."""
    for vendor in ("openai", "anthropic"):
        config = provider_config(vendor, vendor, "http://127.0.0.1:1")
        assert set(config.model_map.values()) <= set(default_models(vendor))
