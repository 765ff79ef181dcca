"""``python -m service``: serve the chat API with granian.

Configuration comes from ``CHAT_*`` variables (``service.settings.ENV_VARS`` lists them
all), validated first: a bad value prints one line naming the variable and exits 2.
Where it listens: ``CHAT_HOST`` (127.0.0.1), ``CHAT_PORT`` (8000); ``CHAT_WORKERS`` (1).
Before serving, the address is bound once with a plain socket (no ``SO_REUSEPORT``, which
granian's own listener sets, so a second service would otherwise share the port): a port
in use or an address the host does not have prints ``service: cannot listen on H:P:
<reason>`` and exits 2 (so does a server that stops before it started: ``cannot serve on``).
``listening`` is logged once the server has bound and the app has started.

Connections: HTTP/1.1 only (the lab's clients, HAProxy and the SDKs speak it), and a
connection that has not sent a complete request head within ``HEADER_READ_TIMEOUT_SECONDS``
(10 s) is closed, whether it is new and silent or idle between keep-alive requests.
(granian's default ``auto`` mode sniffs for HTTP/2 first and waits for a first byte
forever: 40 silent connections held 40 file descriptors for good.)

One worker (the lab's model: one worker per replica process, so each process owns its
metrics): granian runs embedded in this process on uvloop, and SIGTERM (or SIGINT)
drains the process:

1. readiness (``/v1/ready``) answers 503 at once, and ``chat_draining`` is 1;
2. after ``CHAT_SHUTDOWN_GRACE_SECONDS`` (0) the listener closes: no new connections;
3. in-flight requests and streams finish, for at most ``CHAT_DRAIN_SECONDS`` (20);
4. the lifespan closes every client (Redis, store, providers); exit 0, or 1 when the
   drain deadline cut work short. A second signal during the drain exits at once.

Why granian's embedded server and not its process manager (``granian.Granian``), for one
worker: the manager runs the app in a child process under a supervisor, so a replica would
be two processes, and the drain above, which needs the app's readiness flag, the
listener and the deadline in one place, could not run as written. Embedded, a replica is
ONE process: what the lab kills (SIGKILL) or freezes (SIGSTOP) is the whole replica, and
nothing respawns anything: if the server's worker task dies the process exits. The
embedded server drives the same Rust worker (``ASGIWorker``) as the manager does, on this
process's event loop; granian calls that mode experimental and says so in a warning at
every start, which the service drops from its log (the rest of granian's log lines are
kept, as JSON lines like the service's own) because this docstring is where that choice
is explained, and the tests pin what it must do (drain, no respawn, one process).

Several workers (``CHAT_WORKERS>1``): granian's process manager runs
``service.app:create_app_from_env`` in each worker. Set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory so ``/metrics`` merges every worker; granian stops workers gracefully on
SIGTERM but readiness does not turn 503 first. A worker that dies is not respawned: the
manager stops the others and exits 1 (respawn, lifetime and memory recycling are off), so
the replica's failure is visible to whoever runs it. The equivalent command line::

    granian --interface asgi --factory --workers 4 --host 0.0.0.0 --port 8000 \\
        --http 1 --http1-header-read-timeout 10000 --no-respawn-failed-workers \\
        service.app:create_app_from_env
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from typing import Any

from service.settings import Settings, SettingsError

__all__ = ["HEADER_READ_TIMEOUT_SECONDS", "listen_error", "main"]

HEADER_READ_TIMEOUT_SECONDS = 10
"""A connection that has not sent a whole request head in this time is closed (new and
silent, or idle between keep-alive requests). Above HAProxy's 5 s idle-connection purge,
so the proxy closes its idle connections first."""

_EXPERIMENTAL = "Embedded server is experimental!"


def main(argv: list[str] | None = None) -> int:
    """Run the service until it is told to stop; returns the exit code."""
    del argv  # configuration is the environment only
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"service: {exc}", file=sys.stderr)
        return 2
    host, port = settings.server.host, settings.server.port
    reason = listen_error(host, port)
    if reason is not None:
        return _cannot_listen(host, port, reason)
    if settings.server.workers > 1:
        return _serve_workers(settings)
    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_serve(settings))


def listen_error(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on by this process alone, or ``None``.

    Binds a plain TCP socket without ``SO_REUSEPORT`` (``SO_REUSEADDR`` only, so a port
    in TIME_WAIT is fine) and closes it: a port another process listens on, even with
    ``SO_REUSEPORT``, fails here, as do unknown host names and foreign addresses."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        return str(exc.args[-1]) if exc.args else type(exc).__name__
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _cannot_listen(host: str, port: int, reason: str, *, verb: str = "listen") -> int:
    """Print ``service: cannot <verb> on H:P: <reason>`` (one line) and return 2."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    line = " ".join(f"service: cannot {verb} on {where}: {reason}".split())
    print(line, file=sys.stderr)
    return 2


async def _serve(settings: Settings) -> int:
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    from service.app import create_app
    from service.domain.health import Lifecycle
    from service.telemetry.logging import get_logger
    from service.telemetry.startup import warn_at_start

    app = create_app(settings)
    log = get_logger("service.main")
    lifecycle: Lifecycle = app.state.lifecycle
    started = asyncio.Event()
    app.on_startup.append(lambda: started.set())  # runs after granian bound the socket
    server = Server(
        app,
        address=settings.server.host,
        port=settings.server.port,
        interface=Interfaces.ASGI,
        http=HTTPModes.http1,
        http1_settings=_http1_settings(),
        log_level=LogLevels.warning,
        log_dictconfig=_GRANIAN_LOGGING,
        backlog=2048,
    )
    logging.getLogger("_granian").addFilter(_drop_experimental)  # see the module docstring
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
    starting = asyncio.ensure_future(started.wait())
    await asyncio.wait({serving, stopping, starting}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set() and serving.done():  # the bind or the app's startup failed
        stopping.cancel()
        starting.cancel()
        error = serving.exception()
        reason = f"{type(error).__name__}: {error}" if error else "the server stopped"
        return _cannot_listen(settings.server.host, settings.server.port, reason, verb="serve")
    if started.is_set():
        log.info("listening", host=settings.server.host, port=settings.server.port)
        warnings = asyncio.ensure_future(
            warn_at_start(
                app.state.readiness,
                log,
                has_api_keys=bool(settings.auth.keys),
                provider_urls={p.name: p.base_url for p in settings.providers},
            )
        )
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        warnings.cancel()
    starting.cancel()
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
    from granian.constants import HTTPModes, Interfaces

    from service.telemetry.logging import configure_logging

    configure_logging(settings.log.level)  # the manager's own lines, as JSON too
    Granian(
        "service.app:create_app_from_env",
        address=settings.server.host,
        port=settings.server.port,
        interface=Interfaces.ASGI,
        http=HTTPModes.http1,
        http1_settings=_http1_settings(),
        workers=settings.server.workers,
        factory=True,
        log_dictconfig=_GRANIAN_LOGGING,
        workers_kill_timeout=max(1, round(settings.server.drain_seconds)),
        # nothing restarts a worker behind the lab's back (these are granian's defaults,
        # stated so that a change of default cannot turn them on)
        respawn_failed_workers=False,
        workers_lifetime=None,
        workers_max_rss=None,
    ).serve()
    return 0


_GRANIAN_LOGGING: dict[str, Any] = {
    "loggers": {  # granian's lines go to the root logger: the service's JSON lines
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": True},
    }
}


def _http1_settings() -> Any:
    from granian.http import HTTP1Settings

    return HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_SECONDS * 1000)


def _drop_experimental(record: logging.LogRecord) -> bool:
    """A ``logging`` filter: False for granian's embedded-mode warning (explained above)."""
    return record.getMessage() != _EXPERIMENTAL


if __name__ == "__main__":
    raise SystemExit(main())
