"""``POST /v1/chat``: the seed's chat, as JSON or as Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter, JSONBody
from litestar.response import Stream

from service.api.errors import encode_problem, problem_responses, to_problem
from service.api.schemas import ChatDone, ChatIn, ChatOut, UsageOut
from service.api.sse import SSE_HEADERS, sse_event
from service.domain.chat import ChatService
from service.domain.errors import PersistOutcomeUnknown, ServiceError
from service.domain.types import StreamDelta, StreamEvent, User

__all__ = ["ChatController"]

_ENCODER = msgspec.json.Encoder()


class _Token(msgspec.Struct, frozen=True):
    text: str


class _Start(msgspec.Struct, frozen=True):
    conversation_id: str


class ChatController(Controller):
    path = "/v1/chat"
    tags = ("chat",)

    @post(
        "/",
        operation_id="create_chat",
        status_code=200,
        summary="Send a message and get the assistant's answer",
        description=(
            "Loads the conversation's recent turns as context, asks the providers, and "
            "stores both turns. With `stream: true` the answer comes as Server-Sent "
            "Events: `start` (conversation id), `token` events, then `done` with the "
            "same metadata as the JSON answer, or `error` (problem+json) if the provider "
            "fails after the first token."
        ),
        response_description="The answer (JSON), or an event stream when `stream` is true",
        examples=[Example(value={"message": "Hello!"})],
        responses=problem_responses(400, 401, 404, 413, 422, 429, 502, 503),
    )
    async def create_chat(
        self,
        request: Request[User, Any, Any],
        data: JSONBody[ChatIn],
        chat: NamedDependency[ChatService],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                required=False,
                description=(
                    "Makes a retry safe: the reply is stored with the turns; the same key "
                    "with the same body answers that reply again (no new turns), with "
                    "another body 422. 1-255 printable ASCII characters, per user."
                ),
            ),
        ] = None,
    ) -> ChatOut:
        prepared = await chat.prepare(
            request.user,
            message=data.message,
            conversation_id=data.conversation_id,
            model=data.model,
            temperature=data.temperature,
            max_tokens=data.max_tokens,
            idempotency_key=idempotency_key,
            stream=data.stream,
        )
        if data.stream:
            events = chat.stream_chat(prepared)
            first = await anext(events)  # errors before the first token stay HTTP errors
            # Litestar sends any Response; the annotation documents the JSON answer
            return Stream(  # type: ignore[return-value]
                _chat_events(prepared.conversation_id, first, events),
                media_type="text/event-stream",
                headers=SSE_HEADERS,
            )
        reply = await chat.chat(prepared)
        c = reply.completion
        out = ChatOut(
            conversation_id=reply.conversation_id,
            message=c.text,
            provider=c.provider,
            model=c.model,
            cached=reply.cached,
            usage=UsageOut.of(c.usage),
        )
        return Response(out)  # type: ignore[return-value]  # same body, typed for OpenAPI


async def _chat_events(
    conversation_id: str, first: StreamEvent, events: AsyncIterator[StreamEvent]
) -> AsyncIterator[bytes]:
    yield sse_event(b"start", _ENCODER.encode(_Start(conversation_id)))
    event = first
    try:
        while True:
            if isinstance(event, StreamDelta):
                yield sse_event(b"token", _ENCODER.encode(_Token(event.text)))
            else:
                done = ChatDone(
                    conversation_id=conversation_id,
                    provider=event.provider,
                    model=event.model,
                    cached=event.cached,
                    usage=UsageOut.of(event.usage),
                    finish_reason=event.finish_reason,
                )
                yield sse_event(b"done", _ENCODER.encode(done))
                return
            event = await anext(events)
    except StopAsyncIteration:
        return
    except ServiceError as exc:
        problem, _ = to_problem(exc)
        if isinstance(exc, PersistOutcomeUnknown):  # the turns may be stored: say so
            body = {**msgspec.to_builtins(problem), "outcome": exc.outcome}
            yield sse_event(b"error", _ENCODER.encode(body))
        else:
            yield sse_event(b"error", encode_problem(problem))
    finally:
        await events.aclose()  # type: ignore[attr-defined]
