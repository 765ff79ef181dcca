"""The fake provider as a granian RSGI app: vendor API, fault admin API and ``/metrics``.

One ``FakeApp`` serves one vendor. The hot path is plain RSGI with msgspec encoding (no
framework): parse, ask the ``FaultEngine`` what to do, then answer, fail, hang or reset.
Streams and connection resets are written by ``stream``; the vendors' formats are ``Wire``s
(``vendors`` picks one).
With a request log (``requestlog``) every chat request ends with one line about it; with a mark
(``mark``) every answer piece carries the fake's invisible mark.
On SIGTERM/SIGINT hung requests and hung streams wake at once (a 503, or the stream ends), so
the worker, which drains in-flight requests before it exits, stops promptly.

About 390 lines: the request path (and what it notes for the request log) stays in one
place, read top to bottom.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import signal
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

import prometheus_client
from granian.rsgi import (  # type: ignore[attr-defined]  # re-exported, not in __all__
    ProtocolClosed,
)

from fakes.llm.admin import PREFIX, handle_admin, problem
from fakes.llm.engine import Call, FaultEngine, Hang, Reject, Reset, Serve
from fakes.llm.faults import FaultConfig, Latency, decode_config, decode_latency
from fakes.llm.mark import check_mark
from fakes.llm.metrics import FakeMetrics
from fakes.llm.profiles import DEFAULT_PROFILE, Profile, profile_named
from fakes.llm.requestlog import ENV_REQUEST_LOG, Attempt, RequestLog, decision_outcome
from fakes.llm.stream import reset_connection, send_stream
from fakes.llm.text import answer
from fakes.llm.vendors import Vendor, default_models, make_wire
from fakes.llm.wire import Headers, Parsed, Problem

__all__ = [
    "ANY_MODEL",
    "ENV_BASELINE",
    "ENV_FAULTS",
    "ENV_MARK",
    "ENV_MODELS",
    "ENV_PROFILE",
    "ENV_REQUEST_LOG",
    "ENV_SEED",
    "ENV_VENDOR",
    "FakeApp",
    "Vendor",
    "default_models",
    "from_env",
    "make_wire",
]

ENV_VENDOR = "FAKE_LLM_VENDOR"
ENV_SEED = "FAKE_LLM_SEED"
ENV_FAULTS = "FAKE_LLM_FAULTS"
ENV_MODELS = "FAKE_LLM_MODELS"  # comma-separated; unset: the vendor's default list
ENV_MARK = "FAKE_LLM_MARK"  # 0..15; unset: answers carry no mark
ENV_BASELINE = "FAKE_LLM_BASELINE_LATENCY"  # JSON latency section; unset: answers at once
ENV_PROFILE = "FAKE_LLM_PROFILE"  # a provider profile's name (profiles.PROFILES); unset: instant
ENV_ADMIN_TOKEN = "FAKE_LLM_ADMIN_TOKEN"  # noqa: S105 - a variable's name; unset: API open
TOKEN_HEADER = "x-chaoslab-token"  # noqa: S105 - a header's name
"""The header carrying the fault API's token (``authorization: Bearer`` works too)."""
ANY_MODEL = "*"
"""In a model list: serve any model name (the names beside it are what ``/v1/models`` lists)."""

_JSON = ("content-type", "application/json")
_MODEL_PREFIX = "/v1/models/"
_PROMETHEUS = ("content-type", "text/plain; version=0.0.4; charset=utf-8")
_SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# what ended a wait: the awaited event, the fake shutting down, or the timeout
_Woke = Literal["event", "closing", "timeout"]


class FakeApp:
    """An RSGI application faking one vendor; state lives in the worker process.

    ``models`` are the model names served (default: ``default_models(vendor)``); a request
    naming another gets the vendor's 404. ``ANY_MODEL`` among them serves any name.
    ``request_log`` is a file each chat request appends its line to (``requestlog``);
    ``mark`` (0..15) marks every answer piece (``mark``). ``baseline`` is the latency the
    fake answers with when its fault configuration sets none (its normal speed);
    ``profile`` (``profiles``) draws that speed and the answers' lengths per request instead.
    """

    def __init__(
        self,
        vendor: Vendor,
        *,
        seed: int = 0,
        faults: FaultConfig | None = None,
        models: Sequence[str] | None = None,
        request_log: Path | None = None,
        mark: int | None = None,
        baseline: Latency | None = None,
        profile: Profile | None = None,
        admin_token: str | None = None,
    ) -> None:
        self.admin_token = admin_token or None
        self.mark = None if mark is None else check_mark(mark)
        listed = default_models(vendor) if models is None else [m for m in models if m != ANY_MODEL]
        served = None if models is not None and ANY_MODEL in models else listed
        self.wire = make_wire(vendor, listed)
        self.vendor = vendor
        self.seed = seed
        self.engine = engine = FaultEngine(
            faults, seed=seed, models=served, baseline=baseline, profile=profile
        )
        self.profile = engine.profile
        self.metrics = FakeMetrics(vendor, in_flight=lambda: engine.in_flight)
        self._ids = itertools.count(1)
        self._id_prefix = self.wire.id_prefix
        self._closing = asyncio.Event()
        self.request_log = None if request_log is None else RequestLog(request_log)
        wire = self.wire
        # path -> the methods it takes, for 404 (unknown path) versus 405 (another method)
        self._allow = {
            wire.chat_path: "POST",
            "/v1/models": "GET",
            "/metrics": "GET",
            "/": "GET",
        }

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """RSGI start hook (in the worker, before serving): wake hung requests on SIGTERM/SIGINT.

        granian's worker watches those signals through the loop (signal wakeup fd) and drains
        in-flight requests before exiting; the Python-level handler chained here only marks
        the app closing, so a hung request does not hold the shutdown for ``hang.max_s``.
        """
        for sig in _SHUTDOWN_SIGNALS:
            previous = signal.getsignal(sig)

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                with contextlib.suppress(RuntimeError):  # the loop is closed: nothing hangs
                    loop.call_soon_threadsafe(self.close)
                if callable(previous):
                    previous(signum, frame)

            try:
                signal.signal(sig, handler)
            except ValueError:  # not the main thread: no signal handlers to chain
                return

    def close(self) -> None:
        """Wake every hung request and hung stream now (and those that hang later)."""
        self._closing.set()

    async def _wait(self, event: Awaitable[Any], timeout_s: float) -> _Woke:
        """Wait for ``event`` (e.g. the client going away), shutdown or ``timeout_s``.

        Returns ``"event"``, ``"closing"`` or ``"timeout"``.
        """
        if self._closing.is_set():
            return "closing"
        watched = asyncio.ensure_future(event)
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            done, _ = await asyncio.wait(
                (watched, closing), timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            watched.cancel()
            closing.cancel()
        if watched in done:
            return "event"
        return "closing" if closing in done else "timeout"

    def _restart_ids(self) -> None:
        self._ids = itertools.count(1)

    def _next_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids):016d}"

    async def __call__(self, scope: Any, proto: Any) -> None:
        """RSGI entry point."""
        if scope.proto != "http":
            return
        path: str = scope.path
        method: str = scope.method
        if path == self.wire.chat_path and method == "POST":
            await self._chat(scope, proto)
        elif path.startswith(PREFIX) and not self._authorized(scope, path):
            status, headers, payload = problem(
                401, "Unauthorized",
                f"{path} needs the stack's token (header {TOKEN_HEADER}: the token `chaoslab up` "
                "printed, also in the stack directory's `token` file)",
            )  # fmt: skip
            proto.response_bytes(status, headers, payload)
        elif path.startswith(PREFIX):
            body = await proto() if method in ("PUT", "POST") else b""
            status, headers, payload = handle_admin(
                self.engine,
                method,
                path,
                body,
                vendor=self.vendor,
                on_reset=self._restart_ids,
            )
            proto.response_bytes(status, headers, payload)
        elif path == "/metrics" and method == "GET":
            proto.response_bytes(200, [_PROMETHEUS], self.metrics.render())
        elif path == "/v1/models" and method == "GET":
            proto.response_bytes(200, [_JSON], self.wire.models())
        elif path.startswith(_MODEL_PREFIX) and method == "GET":
            self._model(proto, unquote(path[len(_MODEL_PREFIX) :]))
        elif path == "/" and method == "GET":
            status, headers, payload = handle_admin(
                self.engine, "GET", PREFIX + "/health", b"", vendor=self.vendor
            )
            proto.response_bytes(status, headers, payload)
        else:
            self._unrouted(proto, method, path)

    def _authorized(self, scope: Any, path: str) -> bool:
        """The fault API takes the token when one is set (health stays open: readiness)."""
        if self.admin_token is None or path.rstrip("/") == PREFIX + "/health":
            return True
        given = scope.headers.get(TOKEN_HEADER) or ""
        bearer = (scope.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        return any(
            secrets.compare_digest(value.encode(), self.admin_token.encode())
            for value in (given, bearer)
            if value
        )

    def _model(self, proto: Any, name: str) -> None:
        """``GET /v1/models/{name}``: the model object, or the vendor's 404 for another name."""
        served = self.engine.models
        if served is None or name in served:
            proto.response_bytes(200, [_JSON], self.wire.model(name))
            return
        asked = Parsed(model=name, prompt="", prompt_tokens=0, max_tokens=None, stream=False)
        proto.response_bytes(404, [_JSON], self.wire.error(Problem(404, "model", request=asked)))

    def _unrouted(self, proto: Any, method: str, path: str) -> None:
        """The vendor's 404 for an unknown path, or its 405 (with ``Allow``) for a known one."""
        allow = self._allow.get(path)
        if allow is None:
            problem = Problem(404, "not_found", detail=f"Invalid URL ({method} {path})")
            proto.response_bytes(404, [_JSON], self.wire.error(problem))
            return
        detail = f"Invalid method for URL ({method} {path}): use {allow}"
        body = self.wire.error(Problem(405, "not_allowed", detail=detail))
        proto.response_bytes(405, [_JSON, ("allow", allow)], body)

    async def _chat(self, scope: Any, proto: Any) -> None:
        """One chat request; with a request log, its line once it is over, however it ends."""
        log = self.request_log
        if log is None:
            await self._answer(scope, proto, Attempt(t=0.0))
            return
        attempt = Attempt(t=time.time(), rid=scope.headers.get("x-request-id"), vendor=self.vendor)
        started = time.perf_counter()
        try:
            await self._answer(scope, proto, attempt)
        except (ProtocolClosed, asyncio.CancelledError):
            attempt.outcome = attempt.outcome or "client_closed"  # gone before an answer
            raise
        finally:
            attempt.latency_s = round(time.perf_counter() - started, 6)
            log.write(attempt)

    async def _answer(self, scope: Any, proto: Any, attempt: Attempt) -> None:
        """Answer, fail, hang or reset, noting in ``attempt`` what was asked and sent."""
        wire = self.wire
        metrics = self.metrics
        headers_in = scope.headers
        body = await proto()
        request_id = attempt.id = self._next_id()
        parsed = wire.parse(body)
        if not isinstance(parsed, Parsed):
            metrics.outcome("bad_request")
            attempt.status, attempt.outcome = 400, "bad_request"
            err = wire.error(Problem(400, "bad_request", detail=parsed.message))
            proto.response_bytes(400, [_JSON, (wire.request_id_header, request_id)], err)
            return
        attempt.model, attempt.stream = parsed.model, parsed.stream
        attempt.prompt_tokens = parsed.prompt_tokens
        key = wire.api_key(headers_in.get("authorization"), headers_in.get("x-api-key"))
        text = answer(
            self.seed, parsed.model, parsed.prompt, parsed.max_tokens, self.mark, self.profile
        )
        call = Call(
            model=parsed.model,
            api_key=key,
            prompt_tokens=parsed.prompt_tokens,
            completion_tokens=text.tokens,
            max_tokens=parsed.max_tokens,
            stream=parsed.stream,
        )
        engine = self.engine
        engine.in_flight += 1
        try:
            decision = engine.decide(call)
            if not isinstance(decision, Serve):
                metrics.decision(decision)
                attempt.outcome = decision_outcome(decision)
                attempt.status = await self._fail(scope, proto, decision, parsed, key, request_id)
                return
            metrics.drawn(decision, text.tokens)
            attempt.drawn_ttft_s = round(decision.ttft_s, 6)
            attempt.drawn_tokens = text.tokens
            if decision.tokens_per_s > 0:
                attempt.drawn_tokens_per_s = round(decision.tokens_per_s, 3)
            if decision.stall_after is not None:
                attempt.drawn_stall_s = decision.stall_s
            headers: Headers = [(wire.request_id_header, request_id)]
            if decision.quota is not None:
                headers += wire.quota_headers(decision.quota)
            metrics.prompt_tokens.inc(parsed.prompt_tokens)
            attempt.status = 200
            if parsed.stream:
                metrics.decision(decision)
                progress = [0]
                try:
                    await send_stream(
                        scope,
                        proto,
                        wire,
                        parsed,
                        text,
                        decision,
                        headers,
                        request_id,
                        progress,
                        wait=self._wait,
                    )
                except ProtocolClosed:
                    attempt.outcome = "client_closed"
                else:
                    attempt.outcome = decision_outcome(decision)
                finally:
                    attempt.completion_tokens = progress[0]
                metrics.outcome(attempt.outcome)
                metrics.completion_tokens.inc(progress[0])
                return
            delay = decision.ttft_s + decision.per_token_s * max(0, text.tokens - 1)
            if decision.stall_after is not None and decision.stall_after < text.tokens:
                delay += decision.stall_s
            if delay > 0:
                await asyncio.sleep(delay)
            headers.append(_JSON)
            proto.response_bytes(200, headers, wire.complete(parsed, text, request_id))
            attempt.outcome, attempt.completion_tokens = "ok", text.tokens
            metrics.completion_tokens.inc(text.tokens)
            metrics.outcome("ok")
        finally:
            engine.in_flight -= 1

    async def _fail(
        self,
        scope: Any,
        proto: Any,
        decision: Reject | Reset | Hang,
        parsed: Parsed,
        key: str | None,
        request_id: str,
    ) -> int:
        """Fail as ``decision`` says; the status sent (0: none, the connection is gone)."""
        wire = self.wire
        if isinstance(decision, Reset):
            reset_connection(scope, proto)
            return 0
        if isinstance(decision, Hang):
            woke = await self._wait(proto.client_disconnect(), decision.max_s)
            if woke == "event":
                return 0
            # max_s passed: a gateway timeout; shutting down: the vendor's 503
            status = 504 if woke == "timeout" else 503
            reason = "hang" if woke == "timeout" else "shutdown"
            body = wire.error(Problem(status, reason, request=parsed))
            proto.response_bytes(status, [_JSON, (wire.request_id_header, request_id)], body)
            return status
        detail = wire.missing_key if decision.reason == "auth" and key is None else ""
        body = wire.error(
            Problem(
                decision.status,
                decision.reason,
                request=parsed,
                quota=decision.quota,
                limit=decision.limit,
                detail=detail,
            )
        )
        headers: Headers = [_JSON, (wire.request_id_header, request_id)]
        if decision.quota is not None:
            headers += wire.quota_headers(decision.quota)
        if decision.retry_after_s is not None:
            headers.append(("retry-after", str(decision.retry_after_s)))
        proto.response_bytes(decision.status, headers, body)
        return decision.status


def from_env() -> FakeApp:
    """Build the app from ``FAKE_LLM_VENDOR``, ``FAKE_LLM_SEED``, ``FAKE_LLM_FAULTS`` (JSON),
    ``FAKE_LLM_MODELS`` (comma-separated), ``FAKE_LLM_REQUEST_LOG`` (a path),
    ``FAKE_LLM_MARK`` (0..15), ``FAKE_LLM_BASELINE_LATENCY`` (JSON of a latency section),
    ``FAKE_LLM_PROFILE`` (a provider profile's name).

    This is the factory granian calls in each worker process (it also turns off the
    ``*_created`` series for the whole process, which a fake has no use for).
    """
    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
    vendor = os.environ.get(ENV_VENDOR, "openai")
    if vendor not in ("openai", "anthropic"):
        raise ValueError(f"{ENV_VENDOR} must be openai or anthropic, not {vendor!r}")
    seed = int(os.environ.get(ENV_SEED, "0"))
    raw = os.environ.get(ENV_FAULTS)
    faults = decode_config(raw) if raw else None
    names = os.environ.get(ENV_MODELS)
    models = None if names is None else [m.strip() for m in names.split(",") if m.strip()]
    log = os.environ.get(ENV_REQUEST_LOG)
    baseline = os.environ.get(ENV_BASELINE)
    profile = profile_named(os.environ.get(ENV_PROFILE) or DEFAULT_PROFILE)
    return FakeApp(
        vendor,  # type: ignore[arg-type]
        seed=seed,
        faults=faults,
        models=models,
        request_log=Path(log) if log else None,
        mark=_mark_from_env(),
        baseline=decode_latency(baseline) if baseline else None,
        profile=profile,
        admin_token=os.environ.get(ENV_ADMIN_TOKEN),
    )


def _mark_from_env() -> int | None:
    raw = os.environ.get(ENV_MARK, "").strip()
    if not raw:
        return None
    try:
        return check_mark(int(raw))
    except ValueError:
        raise ValueError(f"{ENV_MARK} must be an integer from 0 to 15, not {raw!r}") from None
