"""``python -m service``: serve the chat API with granian.

Configuration comes from ``CHAT_*`` variables (``service.settings.ENV_VARS`` lists them
all), validated first: a bad value prints one line naming the variable and exits 2.
Where it listens: ``CHAT_HOST`` (127.0.0.1), ``CHAT_PORT`` (8000); ``CHAT_WORKERS`` (1).

One worker (the lab's model: one worker per replica process, so each process owns its
metrics): granian runs embedded in this process on uvloop, and SIGTERM (or SIGINT)
drains the process:

1. readiness (``/v1/ready``) answers 503 at once, and ``chat_draining`` is 1;
2. after ``CHAT_SHUTDOWN_GRACE_SECONDS`` (0) the listener closes: no new connections;
3. in-flight requests and streams finish, for at most ``CHAT_DRAIN_SECONDS`` (20);
4. the lifespan closes every client (Redis, store, providers); exit 0, or 1 when the
   drain deadline cut work short. A second signal during the drain exits at once.

Several workers (``CHAT_WORKERS>1``): granian's process manager runs
``service.app:create_app_from_env`` in each worker. Set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory so ``/metrics`` merges every worker; granian stops workers gracefully on
SIGTERM but readiness does not turn 503 first. The equivalent command line::

    granian --interface asgi --factory --workers 4 --host 0.0.0.0 --port 8000 \\
        service.app:create_app_from_env
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from service.settings import Settings, SettingsError

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the service until it is told to stop; returns the exit code."""
    del argv  # configuration is the environment only
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"service: {exc}", file=sys.stderr)
        return 2
    if settings.server.workers > 1:
        return _serve_workers(settings)
    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    from service.app import create_app
    from service.domain.health import Lifecycle
    from service.telemetry.logging import get_logger

    app = create_app(settings)
    log = get_logger("service.main")
    lifecycle: Lifecycle = app.state.lifecycle
    server = Server(
        app,
        address=settings.server.host,
        port=settings.server.port,
        interface=Interfaces.ASGI,
        log_level=LogLevels.warning,
        backlog=2048,
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal() -> None:
        if stop.is_set():  # a second signal: stop waiting
            log.warning("drain_aborted")
            for task in asyncio.all_tasks(loop):
                task.cancel()
            return
        stop.set()

    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    serving = asyncio.ensure_future(server.serve())
    stopping = asyncio.ensure_future(stop.wait())
    log.info("listening", host=settings.server.host, port=settings.server.port)
    await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if serving.done():
        stopping.cancel()
        return 0 if serving.exception() is None else 1
    lifecycle.begin_drain()
    log.info("draining", grace_seconds=settings.server.shutdown_grace_seconds)
    await asyncio.sleep(settings.server.shutdown_grace_seconds)
    server.stop()  # type: ignore[no-untyped-call]
    try:
        await asyncio.wait_for(asyncio.shield(serving), settings.server.drain_seconds)
    except TimeoutError:
        log.error("drain_deadline_passed", drain_seconds=settings.server.drain_seconds)
        return 1
    log.info("stopped")
    return 0


def _serve_workers(settings: Settings) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "service.app:create_app_from_env",
        address=settings.server.host,
        port=settings.server.port,
        interface=Interfaces.ASGI,
        workers=settings.server.workers,
        factory=True,
        workers_kill_timeout=max(1, round(settings.server.drain_seconds)),
    ).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
