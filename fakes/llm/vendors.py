"""The two vendors a fake can be, the models each serves by default, and their wire formats."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from fakes.llm import anthropic_wire, openai_wire
from fakes.llm.anthropic_wire import AnthropicWire
from fakes.llm.openai_wire import OpenAIWire
from fakes.llm.wire import Wire

__all__ = ["Vendor", "default_models", "make_wire"]

Vendor = Literal["openai", "anthropic"]


def default_models(vendor: Vendor) -> tuple[str, ...]:
    """The models a fake of ``vendor`` serves unless told otherwise."""
    return openai_wire.MODELS if vendor == "openai" else anthropic_wire.MODELS


def make_wire(vendor: Vendor, models: Sequence[str] | None = None) -> Wire:
    """The wire format of ``vendor``, listing ``models`` (default: ``default_models``)."""
    listed = default_models(vendor) if models is None else tuple(models)
    return OpenAIWire(listed) if vendor == "openai" else AnthropicWire(listed)
