"""OpenAI Chat Completions wire format (the subset a gateway needs), as msgspec Structs.

Unknown request fields are ignored, as OpenAI-compatible servers do, so every client
and SDK version can talk to the service; the fields that change what an answer means
(tools, functions, response formats) are named here so that asking for them is a 400
instead of an answer that silently ignored them.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from service.api.schemas import Temperature

__all__ = [
    "ChunkChoice",
    "ChunkDelta",
    "CompletionChoice",
    "CompletionChunk",
    "CompletionOut",
    "CompletionsIn",
    "ContentPart",
    "MessageIn",
    "MessageOut",
    "OpenAIUsage",
    "StreamOptions",
]

UNSUPPORTED = ("tools", "tool_choice", "functions", "function_call", "response_format")
"""Request fields that would change the answer's meaning and that the service refuses."""


class ContentPart(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    text: str | None = None


class MessageIn(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    content: str | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(msgspec.Struct, frozen=True, kw_only=True):
    include_usage: bool = False
    """Send one more chunk with empty ``choices`` and the ``usage`` before ``[DONE]``."""


class CompletionsIn(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    messages: list[MessageIn]
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: Temperature | None = None
    top_p: (
        Annotated[
            float,
            msgspec.Meta(ge=0.0, le=1.0, extra_json_schema={"extra": {"minimum": 0.0}}),
        ]
        | None
    ) = None
    max_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
    max_completion_tokens: Annotated[int, msgspec.Meta(ge=1)] | None = None
    stop: str | list[str] | None = None
    n: int | None = None
    # Any value: Litestar converts the decoded body (msgspec.Raw cannot come from a list)
    tools: Any = None
    tool_choice: Any = None
    functions: Any = None
    function_call: Any = None
    response_format: Any = None

    def unsupported(self) -> str | None:
        """The first field given that the service does not support, if any."""
        return next((name for name in UNSUPPORTED if getattr(self, name) is not None), None)


class OpenAIUsage(msgspec.Struct, frozen=True, kw_only=True):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class MessageOut(msgspec.Struct, frozen=True, kw_only=True):
    content: str
    role: str = "assistant"


class CompletionChoice(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    message: MessageOut
    finish_reason: str
    logprobs: None = None


class CompletionOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: OpenAIUsage
    object: str = "chat.completion"


class ChunkDelta(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    role: str | None = None
    content: str | None = None


class ChunkChoice(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    delta: ChunkDelta
    finish_reason: str | None = None


class CompletionChunk(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created: int
    model: str
    choices: list[ChunkChoice]
    object: str = "chat.completion.chunk"
    usage: OpenAIUsage | None = None
    """Only on the extra last chunk that ``stream_options.include_usage`` asks for."""
