"""Dependency providers: the controllers' way to the domain services on ``app.state``.

``app.state.chat`` and ``app.state.readiness`` are set by the app's lifespan (see
``service.app``); the providers only read them.
"""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import Provide

from service.domain.chat import ChatService
from service.domain.health import ReadinessChecker

__all__ = ["DEPENDENCIES", "provide_chat", "provide_readiness"]


def provide_chat(state: State) -> ChatService:
    chat: ChatService = state.chat
    return chat


def provide_readiness(state: State) -> ReadinessChecker:
    readiness: ReadinessChecker = state.readiness
    return readiness


DEPENDENCIES = {
    "chat": Provide(provide_chat, sync_to_thread=False),
    "readiness": Provide(provide_readiness, sync_to_thread=False),
}
