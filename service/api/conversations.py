"""``/v1/conversations``: the caller's own conversations (another user's answer 404)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from service.api.errors import problem_responses
from service.api.schemas import ConversationDetailOut, ConversationPageOut
from service.domain.chat import ChatService
from service.domain.types import User

__all__ = ["ConversationController"]


class ConversationController(Controller):
    path = "/v1/conversations"
    tags = ("conversations",)

    @get(
        "/",
        operation_id="list_conversations",
        summary="The caller's conversations, newest first",
        description="Pass `next_cursor` back as `cursor` for the next page.",
        responses=problem_responses(400, 401, 429, 503),
    )
    async def list_conversations(
        self,
        request: Request[User, Any, Any],
        chat: NamedDependency[ChatService],
        limit: Annotated[int, Parameter(ge=1, le=100, description="page size")] = 20,
        cursor: Annotated[str | None, Parameter(description="from next_cursor")] = None,
    ) -> ConversationPageOut:
        page = await chat.list_conversations(request.user, limit=limit, cursor=cursor)
        return ConversationPageOut.of(page)

    @get(
        "/{conversation_id:str}",
        operation_id="get_conversation",
        summary="One of the caller's conversations with its turns",
        responses=problem_responses(400, 401, 404, 429, 503),
    )
    async def get_conversation(
        self,
        request: Request[User, Any, Any],
        chat: NamedDependency[ChatService],
        conversation_id: FromPath[str],
    ) -> ConversationDetailOut:
        detail = await chat.get_conversation(request.user, conversation_id)
        return ConversationDetailOut.of(detail)

    @delete(
        "/{conversation_id:str}",
        operation_id="delete_conversation",
        summary="Delete one of the caller's conversations",
        status_code=204,
        responses=problem_responses(400, 401, 404, 429, 503),
    )
    async def delete_conversation(
        self,
        request: Request[User, Any, Any],
        chat: NamedDependency[ChatService],
        conversation_id: FromPath[str],
    ) -> None:
        await chat.delete_conversation(request.user, conversation_id)
