"""Validation of what a caller asks: a ``ChatRequest`` within the configured limits."""

from __future__ import annotations

from collections.abc import Sequence

from service.domain.config import ChatConfig
from service.domain.errors import BadRequest
from service.domain.types import ChatRequest, Message

__all__ = ["RequestRules"]


class RequestRules:
    """Builds validated requests; every refusal is a ``BadRequest`` naming its field."""

    def __init__(self, config: ChatConfig) -> None:
        self.config = config

    def build_request(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        stop: Sequence[str] = (),
        field: str = "messages",
    ) -> ChatRequest:
        """A validated ``ChatRequest``; raises ``BadRequest`` naming the bad field."""
        c = self.config
        name = model or c.default_model
        if c.models is not None and name not in c.models:
            known = ", ".join(sorted(c.models)) or "none configured"
            raise BadRequest(f"unknown model {name!r} (known: {known})", field="model")
        if not messages:
            raise BadRequest("must hold at least one message", field=field)
        if len(messages) > c.max_turns:
            raise BadRequest(f"too many turns: {len(messages)} > {c.max_turns}", field=field)
        for index, message in enumerate(messages):
            where = field if field == "message" else f"{field}[{index}].content"
            self.check_text(message.content, field=where)
        tokens = c.default_max_tokens if max_tokens is None else max_tokens
        if not 1 <= tokens <= c.max_tokens:
            raise BadRequest(f"must be between 1 and {c.max_tokens}", field="max_tokens")
        return ChatRequest(
            model=name,
            messages=tuple(messages),
            max_tokens=tokens,
            temperature=1.0 if temperature is None else temperature,
            top_p=top_p,
            stop=tuple(stop),
        )

    def check_text(self, text: str, *, field: str) -> None:
        """Raise ``BadRequest`` when ``text`` is empty, longer than the limit, or holds a
        NUL character (no text store accepts one: PostgreSQL refuses it in ``text``)."""
        if not text.strip():
            raise BadRequest("must not be empty", field=field)
        if "\x00" in text:
            raise BadRequest("must not contain NUL characters (\\u0000)", field=field)
        if len(text) > self.config.max_message_chars:
            raise BadRequest(f"longer than {self.config.max_message_chars} characters", field=field)
