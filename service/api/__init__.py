"""HTTP API: thin controllers over the chat domain, errors mapped once (``errors``) to
problem+json, rendered in OpenAI's dialect on the OpenAI-compatible route (``openai_errors``)."""

from __future__ import annotations

from service.api.chat import ChatController
from service.api.completions import CompletionsController
from service.api.conversations import ConversationController
from service.api.health import HealthController

__all__ = ["CONTROLLERS"]

CONTROLLERS = (ChatController, CompletionsController, ConversationController, HealthController)
"""Every controller of the service, in the order the OpenAPI document lists them."""
