"""``POST /v1/chat/completions``: OpenAI-compatible, so the service is a drop-in gateway.

Stateless: nothing is stored. The caller's rate-limit admission is decided with the
response-cache lookup, in one Redis round trip (``opt={"admission": "deferred"}``).
Non-streaming answers are ``chat.completion`` objects;
``stream: true`` gives ``chat.completion.chunk`` events and ``data: [DONE]``. Errors are
OpenAI's ``{"error": {"message", "type", "param", "code"}}`` with OpenAI's statuses (see
``service.api.openai_errors``); a provider failure after the first chunk ends the stream
with that body as an event and no ``[DONE]``, which the official SDKs raise as an error.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import msgspec
from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Stream
from litestar.types import Scope

from service.api.auth import ADMISSION_KEY
from service.api.openai_errors import (
    OPENAI_DIALECT,
    encode_openai_error,
    openai_error_handler,
    openai_error_responses,
    to_openai_error,
)
from service.api.openai_schemas import (
    ChunkChoice,
    ChunkDelta,
    CompletionChoice,
    CompletionChunk,
    CompletionOut,
    CompletionsIn,
    MessageIn,
    MessageOut,
    OpenAIUsage,
)
from service.api.sse import SSE_HEADERS, sse_data
from service.domain.admission import PendingAdmission
from service.domain.chat import ChatService
from service.domain.errors import BadRequest, ServiceError
from service.domain.types import Message, Role, StreamDelta, StreamEvent, Usage

__all__ = ["CompletionsController"]

_ENCODER = msgspec.json.Encoder()
_ROLES = {
    "system": Role.SYSTEM,
    "developer": Role.SYSTEM,
    "user": Role.USER,
    "assistant": Role.ASSISTANT,
}


class CompletionsController(Controller):
    path = "/v1/chat/completions"
    tags = ("openai",)
    exception_handlers = {Exception: openai_error_handler}  # noqa: RUF012 - Litestar's way

    @post(
        "/",
        operation_id="create_chat_completion",
        status_code=200,
        summary="OpenAI-compatible chat completion",
        opt={"admission": "deferred", "errors": OPENAI_DIALECT},
        responses=openai_error_responses(400, 401, 404, 413, 429, 502, 503),
        description=(
            "The OpenAI Chat Completions API (text content). Point any OpenAI SDK at "
            "`<service>/v1`. Non-streaming responses carry `x-chat-provider` and "
            "`x-chat-cached` headers and the provider's model name; a stream's chunks all "
            "carry the requested model name (the provider is chosen after the headers are "
            "sent). `stream_options.include_usage` adds a usage chunk before `[DONE]`. "
            "Tools, functions and response formats are refused with a 400. Errors are "
            "OpenAI's `{\"error\": {message, type, param, code}}` with OpenAI's statuses."
        ),
    )
    async def create_chat_completion(
        self, data: JSONBody[CompletionsIn], scope: Scope, chat: NamedDependency[ChatService]
    ) -> CompletionOut:
        # The chat service by dependency injection, like every controller. Reading
        # scope["app"].state.chat instead was measured with the service bench (python -m
        # benchmarks service, 3 interleaved rounds each, 2-core box under load): CPU per
        # request at 32 connections relative to the bare gateway 1.02 (state) vs 1.04
        # (injection), at 1 connection 1.25 vs 1.26: 1-2 %, about 0.03 ms, inside the
        # bench's run-to-run noise (the bare gateway itself moved 9 %). No cost shown.
        if data.n not in (None, 1):
            raise BadRequest("only n=1 is supported", field="n")
        unsupported = data.unsupported()
        if unsupported is not None:
            raise BadRequest("not supported by this gateway (text chat only)", field=unsupported)
        stop = [data.stop] if isinstance(data.stop, str) else list(data.stop or ())
        messages = [_message(i, m) for i, m in enumerate(data.messages)]
        if data.max_tokens is not None and data.max_completion_tokens is not None:
            # max_completion_tokens wins; a max_tokens out of range is refused all the same
            chat.build_request(messages, model=data.model, max_tokens=data.max_tokens)
        request = chat.build_request(
            messages,
            model=data.model,
            temperature=data.temperature,
            max_tokens=data.max_completion_tokens or data.max_tokens,
            top_p=data.top_p,
            stop=stop,
        )
        # rate limited with the cache lookup, in one Redis round trip (see AuthMiddleware)
        admission: PendingAdmission | None = scope["state"].get(ADMISSION_KEY)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if data.stream:
            events = chat.stream(request, admission=admission)
            first = await anext(events)  # errors before the first chunk stay HTTP errors
            # Litestar sends any Response; the annotation documents the JSON answer
            include_usage = data.stream_options is not None and data.stream_options.include_usage
            return Stream(  # type: ignore[return-value]
                _chunks(completion_id, created, request.model, first, events, include_usage),
                media_type="text/event-stream",
                headers=SSE_HEADERS,
            )
        answer = await chat.complete(request, admission=admission)
        c = answer.completion
        out = CompletionOut(
            id=completion_id,
            created=created,
            model=c.model,
            choices=[
                CompletionChoice(
                    index=0, message=MessageOut(content=c.text), finish_reason=c.finish_reason
                )
            ],
            usage=_usage(c.usage),
        )
        headers = {"x-chat-provider": c.provider, "x-chat-cached": str(answer.cached).lower()}
        return Response(out, headers=headers)  # type: ignore[return-value]


def _message(index: int, message: MessageIn) -> Message:
    role = _ROLES.get(message.role)
    if role is None:
        raise BadRequest(
            f"unsupported role {message.role!r} (system, developer, user, assistant)",
            field=f"messages[{index}].role",
        )
    content = message.content
    if isinstance(content, list):
        texts = [p.text for p in content if p.type == "text"]
        if len(texts) != len(content):
            raise BadRequest("only text content parts are supported", field=f"messages[{index}]")
        if not texts:
            raise BadRequest("must hold at least one part", field=f"messages[{index}].content")
        for part, text in enumerate(texts):
            if text is None or not text.strip():  # as the OpenAPI document says
                field = f"messages[{index}].content[{part}].text"
                raise BadRequest("must not be empty", field=field)
        content = "".join(t or "" for t in texts)
    return Message(role=role, content=content or "")


def _usage(usage: Usage) -> OpenAIUsage:
    return OpenAIUsage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.input_tokens + usage.output_tokens,
    )


async def _chunks(
    completion_id: str,
    created: int,
    model: str,
    first: StreamEvent,
    events: AsyncIterator[StreamEvent],
    include_usage: bool,
) -> AsyncIterator[bytes]:
    """Every chunk names the requested ``model``, as OpenAI's streams name one model."""

    def chunk(delta: ChunkDelta, finish_reason: str | None = None) -> bytes:
        choice = ChunkChoice(index=0, delta=delta, finish_reason=finish_reason)
        body = CompletionChunk(id=completion_id, created=created, model=model, choices=[choice])
        return sse_data(_ENCODER.encode(body))

    yield chunk(ChunkDelta(role="assistant", content=""))
    event = first
    try:
        while True:
            if isinstance(event, StreamDelta):
                yield chunk(ChunkDelta(content=event.text))
            else:
                yield chunk(ChunkDelta(), event.finish_reason)
                if include_usage:
                    usage = CompletionChunk(
                        id=completion_id,
                        created=created,
                        model=model,
                        choices=[],
                        usage=_usage(event.usage),
                    )
                    yield sse_data(_ENCODER.encode(usage))
                yield b"data: [DONE]\n\n"
                return
            event = await anext(events)
    except StopAsyncIteration:
        return
    except ServiceError as exc:
        _, error, _ = to_openai_error(exc)
        yield sse_data(encode_openai_error(error))
    finally:
        await events.aclose()  # type: ignore[attr-defined]
