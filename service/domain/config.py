"""The chat domain's limits and failure policies (built from settings by the app)."""

from __future__ import annotations

import msgspec

from service.domain.policy import FailurePolicy

__all__ = ["ChatConfig"]


class ChatConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Limits and policies of the chat domain (built from settings by the app)."""

    models: frozenset[str] | None
    """Public model names served; ``None`` accepts any name (providers pass it through)."""
    default_model: str
    max_message_chars: int = 16_000
    max_turns: int = 64
    context_turns: int = 20
    max_tokens: int = 4_096
    default_max_tokens: int = 512
    store_policy: FailurePolicy = FailurePolicy.FAIL_CLOSED
    cache_policy: FailurePolicy = FailurePolicy.FAIL_OPEN
