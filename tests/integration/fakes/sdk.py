"""The official SDK clients as these tests use them: pointed at a fake, never retrying."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lab.servers import FakeLLMServer

__all__ = ["sdk_client"]

_Client = TypeVar("_Client")


def sdk_client(
    sdk: Callable[..., _Client],
    fake: FakeLLMServer,
    *,
    api_key: str = "k",
    timeout: float = 5.0,
) -> _Client:
    """``sdk`` (``openai.OpenAI``, ``anthropic.AsyncAnthropic``, ...) for ``fake``, no retries."""
    return sdk(base_url=fake.base_url, api_key=api_key, max_retries=0, timeout=timeout)
