"""Answers that are not one JSON body: a streamed answer (with its stream faults), and a
connection reset.

A stream sends its head frames at once, the first token after the time to first token and
each later token one per-token delay after the one before (on a fixed schedule, so the
event loop's wake-up lag does not lower the rate); with zero delays a whole stream is one
write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fakes.llm import netreset
from fakes.llm.engine import Serve
from fakes.llm.text import Answer
from fakes.llm.wire import Headers, Parsed, Wire

__all__ = ["Wait", "reset_connection", "send_stream"]

_JSON = ("content-type", "application/json")
_SSE = ("content-type", "text/event-stream; charset=utf-8")
_STREAM_HANG_S = 300.0
# A length no cut stream reaches: the client reads a truncated body when we stop early.
_PROMISED_LENGTH = str(1 << 40)
# How long a cut stream's last bytes get to leave granian before the fake ends the connection.
_FLUSH_S = 0.1

Wait = Callable[[Awaitable[Any], float], Awaitable[str]]
"""Wait for an awaitable (the client going away), the fake's shutdown or a timeout."""


def reset_connection(scope: Any, proto: Any) -> None:
    """Close the request's connection without an answer (README: How a connection is reset)."""
    if netreset.drop(scope.client, scope.server):
        # The socket is shut; granian's own error answer goes nowhere.
        proto.response_empty(500, [("connection", "close")])
        return
    proto.response_stream(200, [_JSON, ("content-length", _PROMISED_LENGTH)])


async def send_stream(
    scope: Any,
    proto: Any,
    wire: Wire,
    parsed: Parsed,
    text: Answer,
    decision: Serve,
    headers: Headers,
    request_id: str,
    progress: list[int],
    *,
    wait: Wait,
) -> None:
    """Send the stream, counting the tokens sent in ``progress[0]``.

    A ``close`` fault ends the connection itself after the bytes sent, so the cut does not
    depend on when granian notices that the app stopped writing. Raises granian's
    ``ProtocolClosed`` when the client goes away mid-stream.
    """
    frames = wire.frames(parsed, text, request_id)
    fault = decision.stream_fault
    headers.append(_SSE)
    if fault in ("close", "hang"):
        headers.append(("content-length", _PROMISED_LENGTH))
    transport = proto.response_stream(200, headers)
    tokens = frames.tokens
    count = len(tokens) if fault is None else min(decision.after_tokens, len(tokens))
    ttft, per_token = decision.ttft_s, decision.per_token_s
    if ttft > 0 or per_token > 0 or decision.stall_after is not None:
        await transport.send_bytes(b"".join(frames.head))
        loop = asyncio.get_running_loop()
        due = loop.time() + ttft
        for i in range(count):
            # Each token is due at a fixed time after the first (not a sleep after the
            # previous one), so the loop's wake-up lag does not slow the drawn rate down.
            if i:
                due += per_token
            if i and i == decision.stall_after:
                due += decision.stall_s
            ahead = due - loop.time()
            if ahead > 0:
                await asyncio.sleep(ahead)
            await transport.send_bytes(tokens[i])
            progress[0] = i + 1
        pending: list[bytes] = []
    else:
        pending = [*frames.head, *tokens[:count]]
    progress[0] = count
    if fault is None:
        await transport.send_bytes(b"".join([*pending, *frames.tail]))
        return
    if fault == "malformed_json":
        pending.append(wire.malformed_json(parsed, request_id))
    elif fault == "malformed_sse":
        # Two events run together (no blank line between): their data lines join into
        # text that is not JSON.
        follow = tokens[count] if count < len(tokens) else frames.tail[0]
        after = tokens[count + 1] if count + 1 < len(tokens) else frames.tail[-1]
        pending.append(follow[:-1] + after)
    elif fault == "error_event":
        pending.append(wire.error_event(request_id))
    if pending:
        await transport.send_bytes(b"".join(pending))
    if fault == "close":
        await asyncio.sleep(_FLUSH_S)
        netreset.finish(scope.client, scope.server)
    elif fault == "hang":
        # until the client goes, _STREAM_HANG_S passes or the fake shuts down
        await wait(proto.client_disconnect(), _STREAM_HANG_S)
    elif fault in ("malformed_json", "malformed_sse"):
        await transport.send_bytes(b"".join(frames.tail))
