"""One simulated request, measured by the client: status, latency, TTFT, token gaps, completion,
and the output marks of the answer's text (which fakes wrote it, ``loadtests.marks``).

Plain ``requests`` under Locust's gevent (its own processes). Every request runs inside a
``gevent.Timeout`` of the client timeout, so a frozen service turns into ``timeout``
failures instead of a stuck user. The result is classified with the one outcome table.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import gevent  # type: ignore[import-untyped]  # gevent ships no type information
import requests
import requests.adapters

from loadtests.marks import mark_chars, marks_in
from loadtests.outcomes import classify
from rundir import RequestRecord
from rundir.quantile import nearest_rank

__all__ = ["PROMPTS", "Exchange", "LabClient", "source_of", "to_record"]

PROMPTS = (
    "What is a circuit breaker?",
    "Explain retries with jitter in one paragraph.",
    "Summarise the CAP theorem.",
    "Why do caches go cold after a restart?",
    "How does a load balancer pick a replica?",
    "Give me three tips for writing good tests.",
)


@dataclass(slots=True)
class Exchange:
    """What the client saw of one request."""

    status: int = 0
    error: str | None = None
    ttft_s: float | None = None
    done: bool = False
    stream_error: bool = False
    provider: str | None = None
    conversation_id: str | None = None
    request_id: str | None = None
    replica: str | None = None
    """The ``x-chat-replica`` header: which replica answered."""
    cached: bool | None = None
    """For answers: the service's ``cached`` flag (body, ``done`` event or header)."""
    problem: str | None = None
    """For error answers: ``provider`` or ``dependency`` when the service's problem names one."""
    size: int = 0
    token_times: list[float] = field(default_factory=list)
    """perf_counter() at each content event of a stream."""
    mark_chars: list[str] = field(default_factory=list)
    """The output-mark characters of the answer text received, in order (``loadtests.marks``)."""


_JSON = {"content-type": "application/json"}
_CLOSE = {**_JSON, "connection": "close"}
"""Bad requests close their connection: a server may answer a 413 before reading the body,
and a kept-alive connection would then fail the user's next request."""


def _marks_of(data: str) -> str:
    """The mark characters of one event's JSON data, without parsing it: JSON syntax holds
    none, so the raw text's are the answer text's; only an escaped one (``\\u200b``) needs
    the JSON decoded."""
    if "\\u" not in data:
        return mark_chars(data)
    try:
        value = json.loads(data)
    except ValueError:
        return ""
    return mark_chars(json.dumps(value, ensure_ascii=False))


def _answer_text(answer: dict[str, Any]) -> str:
    """The text of a JSON answer: ``/v1/chat``'s ``message``, or the OpenAI-compatible
    route's ``choices[0].message.content`` ("" when neither is there)."""
    message = answer.get("message")
    if isinstance(message, str):
        return message
    choices = answer.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        return content if isinstance(content, str) else ""
    return ""


def _sse(response: requests.Response) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of an event stream ("" event for unnamed ``data:`` frames)."""
    event = ""
    for raw in response.iter_lines(chunk_size=512):
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            yield event, line[5:].strip()
            event = ""


class LabClient:
    """Requests against the front door with one user's key.

    ``LabClient.stopping`` (set when the load stops) makes every new request a no-op
    (``error="not_sent"``, never recorded) while ``LabClient.in_flight`` counts the ones
    still running, so the stop can wait for them: each request the service saw is in the log.
    ``LabClient.stop_file`` (``RUN/load/stop-at``) is read before every request (at most
    every 50 ms): from the time it names on, no request starts, whenever Locust's shape
    notices (it ticks once a second).
    """

    stopping: ClassVar[bool] = False
    in_flight: ClassVar[int] = 0
    stop_file: ClassVar[Path | None] = None
    _stop_at: ClassVar[float | None] = None
    _stop_read: ClassVar[float] = 0.0

    @classmethod
    def stop_due(cls, now: float | None = None) -> bool:
        """Whether no request may start at ``now`` (Unix time): the load is stopping, or
        the runner's ``stop-at`` time has come."""
        if cls.stopping:
            return True
        now = time.time() if now is None else now
        if cls.stop_file is not None and now - cls._stop_read >= 0.05:
            cls._stop_read = now
            # not written yet (or being replaced): keep the last value
            with contextlib.suppress(OSError, ValueError):
                cls._stop_at = float(cls.stop_file.read_text(encoding="utf-8"))
        return cls._stop_at is not None and now >= cls._stop_at

    def __init__(
        self, *, base_url: str, key: str, timeout: float, model: str | None, pool: int = 4
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.model = model
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool)
        self.session.mount("http://", adapter)
        self.session.headers["authorization"] = f"Bearer {key}"

    def close(self) -> None:
        self.session.close()

    def _post(
        self,
        path: str,
        body: object,
        *,
        stream: bool,
        raw: bytes | None = None,
        close: bool = False,
        key: str | None = None,
    ) -> Exchange:
        seen = Exchange()
        if LabClient.stop_due():
            seen.error = "not_sent"
            return seen
        started = time.perf_counter()
        LabClient.in_flight += 1
        headers = _CLOSE if close else _JSON
        if key is not None:  # the open model rotates its arrivals over the load keys
            headers = {**headers, "authorization": f"Bearer {key}"}
        try:
            with gevent.Timeout(self.timeout):
                data = raw if raw is not None else json.dumps(body).encode()
                response = self.session.post(
                    self.base_url + path,
                    data=data,
                    headers=headers,
                    stream=stream,
                    timeout=(min(5.0, self.timeout), self.timeout),
                )
                with response:
                    seen.status = response.status_code
                    seen.request_id = response.headers.get("x-request-id")
                    seen.provider = response.headers.get("x-chat-provider")
                    seen.replica = response.headers.get("x-chat-replica")
                    if "x-chat-cached" in response.headers:
                        seen.cached = response.headers["x-chat-cached"] == "true"
                    if stream and response.status_code == 200:
                        self._read_stream(response, seen, started)
                    else:
                        content = response.content
                        seen.size = len(content)
                        if response.status_code == 200 and content:
                            self._read_json(content, seen)
                        elif response.status_code >= 400 and content[:1] == b"{":
                            self._read_problem(content, seen)
        except gevent.Timeout:
            seen.error = "timeout"
        except (requests.Timeout, TimeoutError):
            seen.error = "timeout"
        except (requests.RequestException, OSError):
            if not (seen.status and stream):
                seen.error = "connection_error"
            # a 200 stream cut mid-way is stream_incomplete (done stays False)
        finally:
            LabClient.in_flight -= 1
        return seen

    @staticmethod
    def _read_problem(content: bytes, seen: Exchange) -> None:
        try:
            problem = json.loads(content)
        except ValueError:
            return
        if isinstance(problem, dict):
            seen.problem = next((k for k in ("provider", "dependency") if problem.get(k)), None)

    @staticmethod
    def _read_json(content: bytes, seen: Exchange) -> None:
        try:
            answer = json.loads(content)
        except ValueError:
            return
        if isinstance(answer, dict):
            if isinstance(answer.get("cached"), bool):
                seen.cached = answer["cached"]
            seen.provider = answer.get("provider", seen.provider)
            seen.conversation_id = answer.get("conversation_id")
            chars = mark_chars(_answer_text(answer))
            if chars:
                seen.mark_chars.append(chars)

    @staticmethod
    def _read_stream(response: requests.Response, seen: Exchange, started: float) -> None:
        for event, data in _sse(response):
            seen.size += len(data)
            if event == "token" or (event == "" and '"content"' in data):
                now = time.perf_counter()
                seen.token_times.append(now)
                if seen.ttft_s is None:
                    seen.ttft_s = now - started
                chars = _marks_of(data)
                if chars:
                    seen.mark_chars.append(chars)
            elif event == "start":
                seen.conversation_id = json.loads(data).get("conversation_id")
            elif event == "done" or data == "[DONE]":
                seen.done = True
                if event == "done":
                    done = json.loads(data)
                    seen.provider = done.get("provider")
                    if isinstance(done.get("cached"), bool):
                        seen.cached = done["cached"]
            elif event == "error" or (event == "" and data.startswith('{"error"')):
                seen.stream_error = True

    # -- the request kinds ------------------------------------------------------------------
    def chat(
        self,
        message: str,
        *,
        conversation_id: str | None,
        temperature: float,
        key: str | None = None,
    ) -> Exchange:
        body: dict[str, object] = {"message": message, "temperature": temperature}
        if conversation_id:
            body["conversation_id"] = conversation_id
        if self.model:
            body["model"] = self.model
        return self._post("/v1/chat", body, stream=False, key=key)

    def chat_stream(self, message: str, *, temperature: float, key: str | None = None) -> Exchange:
        body: dict[str, object] = {"message": message, "stream": True, "temperature": temperature}
        if self.model:
            body["model"] = self.model
        return self._post("/v1/chat", body, stream=True, key=key)

    def completion(
        self,
        message: str,
        *,
        stream: bool,
        temperature: float | None = None,
        key: str | None = None,
    ) -> Exchange:
        body: dict[str, object] = {
            "model": self.model or "chat-small",
            "messages": [{"role": "user", "content": message}],
            "stream": stream,
        }
        if temperature is not None:
            body["temperature"] = temperature
        return self._post("/v1/chat/completions", body, stream=stream, key=key)

    def abusive(self, rng: random.Random) -> tuple[str, Exchange]:
        """One bad request: malformed JSON, an oversized body, no auth, or an empty message."""
        kind = rng.choice(("malformed", "oversized", "empty", "burst"))
        if kind == "malformed":
            return kind, self._post("/v1/chat", None, stream=False, raw=b'{"message": ', close=True)
        if kind == "oversized":
            return kind, self._post(
                "/v1/chat", {"message": "x" * 300_000}, stream=False, close=True
            )
        if kind == "empty":
            return kind, self._post("/v1/chat", {"message": ""}, stream=False, close=True)
        return kind, self._post("/v1/chat", {"message": "again"}, stream=False)


def to_record(
    seen: Exchange,
    *,
    t: float,
    latency_s: float,
    user: str,
    name: str,
    stream: bool,
    expected: tuple[int, ...],
    worker: str,
) -> RequestRecord:
    """The log line of one exchange, classified by the outcome table; a 2xx answer whose text
    carried output marks records them (``marks``)."""
    outcome, reason = classify(
        user=user,
        status=seen.status,
        error=seen.error,
        stream=stream,
        stream_done=seen.done,
        stream_error=seen.stream_error,
        expected=expected,
    )
    return RequestRecord(
        t=t,
        user=user,
        name=name,
        outcome=outcome,
        reason=reason,
        status=seen.status,
        latency_s=round(latency_s, 6),
        ttft_s=None if seen.ttft_s is None else round(seen.ttft_s, 6),
        stream=stream,
        provider=seen.provider,
        request_id=seen.request_id,
        worker=worker,
        marks=_marks(seen),
        source=source_of(seen),
        replica=seen.replica,
        cached=seen.cached if 200 <= seen.status < 300 else None,
        **_stream_fields(seen) if stream and 200 <= seen.status < 300 else {},
    )


def source_of(seen: Exchange) -> str:
    """Who answered (``rundir.SOURCES``): the client itself (timeout, no response, an
    open-model arrival it dropped), the load balancer (an answer the service never stamped:
    no ``x-request-id``, no ``x-chat-replica``), or the service (its own answer, a
    provider's error it passed through, a dependency it named)."""
    if seen.error == "timeout":
        return "client_timeout"
    if seen.error in {"dropped_at_cap", "late", "not_sent"}:
        return "load_generator"
    if seen.status == 0:
        return "no_response"
    if seen.request_id is None and seen.replica is None:
        return "load_balancer"
    return seen.problem or "replica"


def _marks(seen: Exchange) -> tuple[int, ...] | None:
    """The distinct marks of a 2xx answer's text; None for other answers and unmarked text."""
    if not seen.mark_chars or not 200 <= seen.status < 300:
        return None
    return marks_in("".join(seen.mark_chars)) or None


def _stream_fields(seen: Exchange) -> dict[str, Any]:
    """A 2xx stream's token timing: tokens, inter-token gaps, tokens/s, completion."""
    times = seen.token_times
    fields: dict[str, Any] = {"tokens": len(times), "stream_complete": seen.done}
    gaps = sorted(max(0.0, b - a) for a, b in itertools.pairwise(times))
    if gaps:
        fields["itl_p50_s"] = round(nearest_rank(gaps, 0.5) or 0.0, 6)
        fields["itl_p95_s"] = round(nearest_rank(gaps, 0.95) or 0.0, 6)
        fields["itl_max_s"] = round(gaps[-1], 6)
        span = times[-1] - times[0]
        if span > 0:
            fields["tokens_per_s"] = round(len(gaps) / span, 3)
    return fields
