"""``/v1/conversations``: the caller's own conversations (another user's answer 404)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import FromPath, Parameter

from service.api.errors import problem_responses
from service.api.schemas import ConversationDetailOut, ConversationPageOut
from service.domain.chat import ChatService
from service.domain.types import User

__all__ = ["ConversationController"]

_ONE_ALLOWS = "DELETE, GET, OPTIONS"
"""``Allow`` of ``/v1/conversations/{id}``. Litestar's automatic OPTIONS answer on a path
with two handlers lists only the methods of the first one registered (``DELETE,
OPTIONS``), so this route answers OPTIONS itself. Litestar registers a controller's
handlers in the order of their qualified names and keeps the first OPTIONS handler of a
path: ``allow_conversation`` sorts before ``delete_conversation`` on purpose."""


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

    @route(
        "/{conversation_id:str}",
        http_method=[HttpMethod.OPTIONS],
        include_in_schema=False,
        sync_to_thread=False,
    )
    def allow_conversation(self, conversation_id: FromPath[str]) -> Response[None]:
        del conversation_id
        return Response(None, status_code=204, headers={"allow": _ONE_ALLOWS})
