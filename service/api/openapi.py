"""The OpenAPI document says what the service really accepts and answers.

Litestar builds the document from the request Structs, which cannot know what the
configuration decides (the models served, the longest message, the largest
``max_tokens``, the most turns) nor what the domain refuses on top of the types (an empty
or blank message, a NUL character, ``n`` other than 1, tools). ``OpenAPIJson`` serves
``/docs/openapi.json`` with those rules added to the generated document, once, on first
request (no cost at start):

- request bodies: ``minLength``/``maxLength``/``pattern`` on message text, ``enum`` of the
  configured models, ``maximum`` of ``max_tokens``, ``minItems``/``maxItems`` of
  ``messages``, ``additionalProperties: false`` where unknown fields are refused (``ChatIn``),
  the refused OpenAI fields as ``null`` only;
- ``POST /v1/chat`` and ``POST /v1/chat/completions`` answer ``text/event-stream`` too
  (``stream: true``);
- public routes (health, readiness) need no credentials: ``security: []``.

Whatever the document forbids is refused with a 4xx, and what it allows is accepted: the
schemathesis run over the live service (``tests/integration/service/test_schemathesis.py``)
holds the two together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

__all__ = ["TEXT_PATTERN", "OpenAPIJson", "OpenAPILimits", "describe"]

_SPACE = (
    "\\t\\n\\u000b\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680"
    "\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
"""Python's whitespace (``str.isspace``, what ``strip()`` removes), spelled out: a regex
``\\s`` differs between dialects (ECMA's has no U+001C..U+001F)."""
TEXT_PATTERN = f"^[^\\u0000]*[^{_SPACE}\\u0000][^\\u0000]*$"
"""Message text: at least one character that is not whitespace, and no NUL."""

_KEY_PATTERN = "^[!-~]([ -~]{0,253}[!-~])?$"
"""``Idempotency-Key``: 1-255 printable ASCII characters (HTTP trims the spaces around)."""
_OPENAI_REFUSED = ("tools", "tool_choice", "functions", "function_call", "response_format")
_SSE = {
    "text/event-stream": {
        "schema": {  # one event: its name (``/v1/chat``) and its data, one JSON line
            "type": "object",
            "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
            "required": ["data"],
        },
        "description": "With `stream: true`: Server-Sent Events (see the operation)",
    }
}


class OpenAPILimits(msgspec.Struct, frozen=True, kw_only=True):
    """What the configuration accepts (``service.settings`` values)."""

    models: Sequence[str] | None
    """The public model names; ``None``: any name (a provider passes names through)."""
    max_message_chars: int
    max_tokens: int
    max_turns: int


def describe(document: dict[str, Any], limits: OpenAPILimits) -> None:
    """Add the configuration's and the domain's rules to a generated ``document``."""
    schemas = document.get("components", {}).get("schemas", {})
    text = {
        "type": "string",
        "minLength": 1,
        "maxLength": limits.max_message_chars,
        "pattern": TEXT_PATTERN,
    }
    # enums without "type" beside them: plain schemas are cheaper for fuzzers to draw from
    name: dict[str, Any] = {"type": "string"}
    model: dict[str, Any] = {"oneOf": [name, {"type": "null"}]}
    if limits.models is not None:
        name = {"enum": sorted(limits.models)}
        model = {"enum": [*sorted(limits.models), None]}
    count = {"type": "integer", "minimum": 1, "maximum": limits.max_tokens}
    tokens = {"oneOf": [count, {"type": "null"}]}
    if "ChatIn" in schemas:
        chat = schemas["ChatIn"]
        chat["additionalProperties"] = False
        chat["properties"]["message"] = dict(text)
        chat["properties"]["model"] = model
        chat["properties"]["max_tokens"] = tokens
    if "CompletionsIn" in schemas:
        props = schemas["CompletionsIn"]["properties"]
        props["model"] = dict(name)
        props["messages"].update(minItems=1, maxItems=limits.max_turns)
        props["max_tokens"] = tokens
        props["max_completion_tokens"] = tokens
        props["n"] = {"enum": [1, None]}
        for refused in _OPENAI_REFUSED:
            props[refused] = {"type": "null", "description": "not supported: any value is a 400"}
    if "MessageIn" in schemas:
        props = schemas["MessageIn"]["properties"]
        props["role"] = {"enum": ["system", "developer", "user", "assistant"]}
        parts = {"type": "array", "minItems": 1, "items": props["content"]["oneOf"][1]["items"]}
        props["content"] = {"oneOf": [dict(text), parts]}
        schemas["MessageIn"]["required"] = ["content", "role"]
    if "ContentPart" in schemas:
        part = schemas["ContentPart"]
        part["properties"] = {"type": {"enum": ["text"]}, "text": dict(text)}
        part["required"] = ["text", "type"]
    for path in ("/v1/chat", "/v1/chat/completions"):
        operation = document.get("paths", {}).get(path, {}).get("post")
        if operation is None:
            continue
        operation["responses"]["200"].setdefault("content", {}).update(_SSE)
        for parameter in operation.get("parameters", ()):
            if parameter.get("name") == "Idempotency-Key":  # checked by the domain
                parameter["schema"] = {"type": "string", "pattern": _KEY_PATTERN}


def _public(document: dict[str, Any], operation_ids: set[str]) -> None:
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") in operation_ids:
                operation["security"] = []


class OpenAPIJson(JsonRenderPlugin):
    """Litestar's ``/openapi.json`` with ``describe`` applied (and public routes marked
    as needing no credentials) before the document is first served."""

    def __init__(self, *, limits: OpenAPILimits) -> None:
        super().__init__()
        self._limits = limits
        self._described = False

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if not self._described:  # the document is built once and cached by Litestar
            describe(openapi_schema, self._limits)
            public = {
                str(handler.operation_id)
                for route in request.app.routes
                for handler in getattr(route, "route_handlers", ())
                if handler.opt.get("public") and handler.operation_id
            }
            _public(openapi_schema, public)
            self._described = True
        return super().render(request, openapi_schema)
