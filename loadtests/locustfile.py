"""The lab's locustfile (thin: the parts live in ``loadtests.*``).

``chaoslab run`` starts it for you; by hand::

    locust -f loadtests/locustfile.py --headless --lab-config RUN/load/config.json

``--lab-config`` (or ``CHAOSLAB_LOAD_CONFIG``) names the ``LoadConfig`` JSON the runner writes:
front door, API keys, shape, mix, duration, seed. Every Locust process but a master writes
``RUN/load/requests-<worker>.jsonl`` and serves client SLIs to Prometheus. A worker started
elsewhere without ``--lab-config`` gets the config from the master and sends its records
to it (``loadtests.remote``)::

    locust -f loadtests/locustfile.py --worker --master-host HOST --master-port PORT
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]  # gevent ships no type information
import msgspec
from locust import LoadTestShape, events

from loadtests.client import LabClient
from loadtests.config import CONFIG_ENV, LoadConfig, read_config
from loadtests.exporter import ClientMetrics, write_scrape_target
from loadtests.remote import CONFIG_OPTION, MESSAGE, MasterRecords, StreamedLog, remote_worker_name
from loadtests.requestlog import RequestLog
from loadtests.shapes import users_at
from loadtests.users import (
    AbusiveUser,
    ChatUser,
    OpenAIUser,
    OpenModelUser,
    StreamUser,
    state,
)
from rundir.layout import LOAD_DIR, LOAD_SCRAPE_DIR, STOP_FILE

__all__ = ["AbusiveUser", "ChatUser", "LabShape", "OpenAIUser", "OpenModelUser", "StreamUser"]

_CLASSES = {"chat": ChatUser, "stream": StreamUser, "openai": OpenAIUser, "abusive": AbusiveUser}


def _arguments(parser: Any) -> None:
    parser.add_argument(
        "--lab-config",
        type=str,
        env_var=CONFIG_ENV,
        default="",
        help="The LoadConfig JSON written by `chaoslab run` (RUN/load/config.json)",
    )


_master_records: list[MasterRecords] = []


def _init(environment: Any, **_kwargs: Any) -> None:
    from locust.runners import MasterRunner, WorkerRunner

    options = environment.parsed_options
    runner = environment.runner
    given = getattr(options, "lab_config", "") or os.environ.get(CONFIG_ENV)
    if isinstance(runner, WorkerRunner) and not given:
        return  # a worker from elsewhere: the master's spawn message brings the config
    try:
        config = read_config(given or None)
    except ValueError as error:
        raise SystemExit(f"chaoslab load: {error}") from None
    state.config = config
    LabClient.stop_file = Path(config.run_dir) / LOAD_DIR / STOP_FILE
    for kind, cls in _CLASSES.items():
        cls.weight = max(0, config.mix.get(kind, 0))
    if isinstance(runner, MasterRunner):
        # for workers started elsewhere: the config travels with every spawn message, and
        # their request records come back here
        setattr(options, CONFIG_OPTION, msgspec.json.encode(config).decode())
        records = MasterRecords(Path(config.run_dir))
        _master_records.append(records)
        runner.register_message(MESSAGE, lambda msg, **_kw: records.receive(msg.data))
        return
    state.worker = f"worker-{os.getpid()}" if isinstance(runner, WorkerRunner) else "local"
    run_dir = Path(config.run_dir)
    state.log = RequestLog(run_dir, worker=state.worker)
    if config.exporter:
        state.metrics = ClientMetrics(
            latency_targets=config.latency_targets, ttft_targets=config.ttft_targets
        )
        port = state.metrics.serve()
        for directory in (run_dir / LOAD_DIR / LOAD_SCRAPE_DIR, *map(Path, config.scrape_dirs)):
            state.scrape_files.append(
                write_scrape_target(
                    directory,
                    worker=f"{run_dir.name}-{state.worker}",
                    address=f"127.0.0.1:{port}",
                )
            )


def _remote_start(environment: Any, **_kwargs: Any) -> None:
    """On a worker started elsewhere, at its first spawn: the config from the master's
    options; records go to the master; no exporter (the stack's Prometheus is on the
    master's loopback)."""
    from locust.runners import WorkerRunner

    runner = environment.runner
    data = getattr(environment.parsed_options, CONFIG_OPTION, None)
    if state.config is not None or not isinstance(runner, WorkerRunner) or not data:
        return
    config = msgspec.json.decode(str(data).encode(), type=LoadConfig)
    state.config = msgspec.structs.replace(config, exporter=False)
    state.worker = remote_worker_name(os.getpid())
    worker = state.worker
    state.log = StreamedLog(
        lambda lines: runner.send_message(MESSAGE, {"worker": worker, "lines": lines})
    )


def _stopping(environment: Any, **_kwargs: Any) -> None:
    """The load stops: no new request starts, the ones in flight finish and are recorded
    (at most the client timeout), then a worker reports its stats at once, so the master's
    totals equal the request logs and every request the service saw is in them."""
    from locust.runners import WorkerRunner

    LabClient.stopping = True
    deadline = time.monotonic() + (state.config.timeout if state.config else 30.0) + 1.0
    while LabClient.in_flight > 0 and time.monotonic() < deadline:
        gevent.sleep(0.05)
    if state.log is not None:
        state.log.flush()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner._send_stats()


def _flush(**_kwargs: Any) -> None:
    if state.log is not None:
        state.log.flush()


def _close(**_kwargs: Any) -> None:
    if state.log is not None:
        state.log.close()
    for records in _master_records:
        records.close()
    for path in state.scrape_files[1:]:  # the stack's entries go; the run's own stays as a record
        path.unlink(missing_ok=True)


# Locust's EventHook.add_listener is untyped; registering by call keeps the handlers typed.
_HOOKS: tuple[tuple[Any, Any], ...] = (
    (events.init_command_line_parser, _arguments),
    (events.init, _init),
    (events.test_start, _remote_start),
    (events.test_stopping, _stopping),
    (events.test_stop, _flush),
    (events.quitting, _close),
)
for _hook, _handler in _HOOKS:
    _hook.add_listener(_handler)


class LabShape(LoadTestShape):
    """Plays the configured shape until the duration; the open model keeps one arrival
    loop per Locust process."""

    def tick(self) -> tuple[int, float, list[type[Any]]] | None:
        config = state.config
        if config is None:
            return None
        elapsed = float(self.get_run_time())  # type: ignore[no-untyped-call]
        if elapsed >= (config.stop_after or config.duration):
            return None
        if LabClient.stop_due():  # the runner's RUN/load/stop-at (each request checks it too)
            return None
        if config.arrival_rate:
            workers = max(1, config.workers)
            return workers, float(workers), [OpenModelUser]
        classes = [cls for kind, cls in _CLASSES.items() if config.mix.get(kind, 0) > 0]
        users = users_at(
            config.shape,
            elapsed,
            users=config.users,
            duration=config.duration,
            peak_users=config.peak_users,
            steps=config.steps,
        )
        return users, config.spawn_rate, classes or [ChatUser]
