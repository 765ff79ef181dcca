"""Locust user classes: multi-turn chat, streaming chat, an OpenAI-compatible client, an
abusive user, and the open model's arrival loop.

Each simulated user has its own API key (``LoadConfig.api_keys``, round robin), a seeded
RNG, and reports every request three ways: the per-request log, the client SLI metrics, and
Locust's own ``request`` event (excluded requests under a name ending in ``[excluded]``).
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import gevent  # type: ignore[import-untyped]  # gevent ships no type information
import gevent.pool  # type: ignore[import-untyped]
from locust import User, task

from loadtests.client import PROMPTS, Exchange, LabClient, to_record
from loadtests.config import LoadConfig
from loadtests.exporter import ClientMetrics
from loadtests.remote import StreamedLog
from loadtests.requestlog import RequestLog

__all__ = [
    "AbusiveUser",
    "ChatUser",
    "LabState",
    "OpenAIUser",
    "OpenModelUser",
    "StreamUser",
    "state",
]


@dataclass
class LabState:
    """The Locust process's share of the lab: config, request log, metrics."""

    config: LoadConfig | None = None
    log: RequestLog | StreamedLog | None = None
    metrics: ClientMetrics | None = None
    worker: str = "local"
    scrape_files: list[Path] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def report(
        self,
        environment: Any,
        seen: Exchange,
        *,
        t: float,
        latency_s: float,
        user: str,
        name: str,
        stream: bool,
    ) -> None:
        config = self.config
        assert config is not None  # set by the locustfile's init hook
        if seen.error == "not_sent":
            return  # asked for after the load stopped: never sent
        record = to_record(
            seen,
            t=t,
            latency_s=latency_s,
            user=user,
            name=name,
            stream=stream,
            expected=config.expected_statuses,
            worker=self.worker,
        )
        if self.log is not None:
            self.log.write(record)
        if self.metrics is not None:
            self.metrics.observe(record)
        failed = record.outcome == "failure"
        environment.events.request.fire(
            request_type="SSE" if stream else "POST",
            name=name if record.outcome != "excluded" else f"{name} [excluded]",
            response_time=latency_s * 1000.0,
            response_length=seen.size,
            exception=RuntimeError(record.reason) if failed else None,
            context={"user": user, "outcome": record.outcome},
        )


state = LabState()
"""This process's state (one per Locust process)."""


class _LabUser(User):
    abstract = True
    kind: ClassVar[str] = "chat"

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        config = state.config
        assert config is not None
        self.config = config
        number = next(state.counter)
        self.rng = random.Random(f"{config.seed}:{state.worker}:{self.kind}:{number}")
        key = config.api_keys[number % len(config.api_keys)] if config.api_keys else "sk-none"
        self.client = LabClient(
            base_url=config.front_door, key=key, timeout=config.timeout, model=config.model
        )

    def wait_time(self) -> float:
        if LabClient.stopping:
            return 0.2  # nothing is sent any more: do not spin
        return self.config.think_time * self.rng.uniform(0.5, 1.5)

    def on_stop(self) -> None:
        self.client.close()

    def _message(self) -> tuple[str, float]:
        """A prompt and a temperature: one in five is a frequent question at temperature 0
        (cacheable), the rest unique."""
        if self.rng.random() < 0.2:
            return self.rng.choice(PROMPTS), 0.0
        return f"{self.rng.choice(PROMPTS)} (#{self.rng.randrange(10**9)})", 0.7

    def _timed(self, name: str, stream: bool, call: Any) -> Exchange:
        t = time.time()
        started = time.perf_counter()
        seen: Exchange = call()
        state.report(
            self.environment,
            seen,
            t=t,
            latency_s=time.perf_counter() - started,
            user=self.kind,
            name=name,
            stream=stream,
        )
        return seen


class ChatUser(_LabUser):
    """Multi-turn chat: 2 to 5 turns in one conversation, then a new one."""

    kind = "chat"

    @task
    def conversation(self) -> None:
        conversation_id: str | None = None
        for _turn in range(self.rng.randint(2, 5)):
            message, temperature = self._message()
            seen = self._timed(
                "/v1/chat",
                False,
                lambda m=message, t=temperature, c=conversation_id: self.client.chat(
                    m, conversation_id=c, temperature=t
                ),
            )
            conversation_id = seen.conversation_id
            if conversation_id is None:
                return
            gevent.sleep(self.wait_time())


class StreamUser(_LabUser):
    """Streaming chat: TTFT and completion (the final ``done`` event) measured here."""

    kind = "stream"

    @task
    def stream(self) -> None:
        message, temperature = self._message()
        self._timed(
            "/v1/chat [stream]",
            True,
            lambda: self.client.chat_stream(message, temperature=temperature),
        )


class OpenAIUser(_LabUser):
    """An OpenAI-compatible client: ``/v1/chat/completions``, half of it streamed."""

    kind = "openai"

    @task
    def completion(self) -> None:
        message, temperature = self._message()
        stream = self.rng.random() < 0.5
        name = "/v1/chat/completions" + (" [stream]" if stream else "")
        self._timed(
            name,
            stream,
            lambda: self.client.completion(message, stream=stream, temperature=temperature),
        )


class AbusiveUser(_LabUser):
    """Bursts, malformed and oversized bodies: its expected 4xx are excluded, not failures."""

    kind = "abusive"

    @task
    def abuse(self) -> None:
        for _ in range(self.rng.randint(1, 5)):  # a burst, no think time
            t = time.time()
            started = time.perf_counter()
            what, seen = self.client.abusive(self.rng)
            state.report(
                self.environment,
                seen,
                t=t,
                latency_s=time.perf_counter() - started,
                user=self.kind,
                name=f"/v1/chat [abusive:{what}]",
                stream=False,
            )


class OpenModelUser(_LabUser):
    """The open model: requests start at a constant rate whatever the service does.

    Arrival i is due at ``t0 + i / rate``; its latency counts from when it was due (no
    coordinated omission). Arrivals due while ``max_in_flight`` requests are pending are
    recorded as ``dropped_at_cap`` failures; ones that start more than the client timeout
    after they were due as ``late``. One such user runs per Locust process and takes
    ``arrival_rate / workers``. The arrivals rotate over the load keys (arrival i uses key
    i mod keys: each key sees ``rate / keys``, far under the service's per-key limit) and
    keep the closed users' mix: the kinds by ``load.mix``, one in five a frequent question
    at temperature 0 (the response cache answers those), half the ``openai`` ones streamed.
    No arrival due at or after ``RUN/load/stop-at`` is sent."""

    kind = "open"

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.pool = gevent.pool.Group()
        self.in_flight = 0
        cap = max(1, self.config.max_in_flight // max(1, self.config.workers))
        self.client.close()
        self.client = LabClient(
            base_url=self.config.front_door,
            key=self.client.key,
            timeout=self.config.timeout,
            model=self.config.model,
            pool=cap,
        )
        self.keys = self.config.api_keys or (self.client.key,)

    def on_stop(self) -> None:
        self.pool.kill(block=False)
        super().on_stop()

    def _kinds(self) -> tuple[list[str], list[int]]:
        mix = {k: w for k, w in self.config.mix.items() if w > 0 and k != "abusive"}
        return list(mix) or ["chat"], list(mix.values()) or [1]

    @task
    def arrivals(self) -> None:
        config = self.config
        rate = (config.arrival_rate or 1.0) / max(1, config.workers)
        cap = max(1, config.max_in_flight // max(1, config.workers))
        kinds, weights = self._kinds()
        start = time.time()
        for index in range(int(rate * (config.duration + 60.0)) + 1):  # bounded
            due = start + index / rate
            if LabClient.stop_due(due):
                break
            delay = due - time.time()
            if delay > 0:
                gevent.sleep(delay)
            if LabClient.stop_due():
                break
            kind = self.rng.choices(kinds, weights)[0]
            key = self.keys[index % len(self.keys)]
            if self.in_flight >= cap:
                self._report_failure(kind, due, "dropped_at_cap")
                continue
            self.in_flight += 1
            self.pool.spawn(self._one, kind, due, key)
        self.pool.join(timeout=config.timeout)

    def _report_failure(self, kind: str, due: float, reason: str) -> None:
        state.report(
            self.environment,
            Exchange(error=reason),
            t=due,
            latency_s=max(0.0, time.time() - due),
            user=kind,
            name=f"open:{kind}",
            stream=kind == "stream",
        )

    def _one(self, kind: str, due: float, key: str) -> None:
        try:
            if time.time() - due > self.config.timeout:
                self._report_failure(kind, due, "late")
                return
            message, temperature = self._message()
            stream = kind == "stream" or (kind == "openai" and self.rng.random() < 0.5)
            if kind == "stream":
                seen = self.client.chat_stream(message, temperature=temperature, key=key)
            elif kind == "openai":
                seen = self.client.completion(
                    message, stream=stream, temperature=temperature, key=key
                )
            else:
                seen = self.client.chat(
                    message, conversation_id=None, temperature=temperature, key=key
                )
            state.report(
                self.environment,
                seen,
                t=due,
                latency_s=time.time() - due,
                user=kind,
                name=f"open:{kind}" + (" [stream]" if stream and kind == "openai" else ""),
                stream=stream,
            )
        finally:
            self.in_flight -= 1
