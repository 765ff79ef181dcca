"""A managed server stopped from one thread while another kills and starts it again (the
supervisor stopping a stack while its watch thread restarts a replica) stops cleanly: no
exception in either thread, no process left, the port free. A real redis-server."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lab.binaries import BinaryNotFound, find
from lab.net import is_listening
from lab.servers.redis import RedisServer
from tests.fixtures.servers import skip_unless_required

ROUNDS = 12


@pytest.fixture
def server(tmp_path: Path) -> RedisServer:
    try:
        find("redis-server")
    except BinaryNotFound as missing:
        skip_unless_required("redis-server", str(missing))
    return RedisServer(workdir=tmp_path / "redis")


def test_a_stop_during_a_restart_on_another_thread_stops_cleanly(server: RedisServer) -> None:
    rng = random.Random(3)
    errors: list[BaseException] = []

    def guarded(work: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # collected, asserted below
                errors.append(error)

        return threading.Thread(target=run)

    def restart() -> None:
        server.kill()
        server.start()

    try:
        for _ in range(ROUNDS):
            server.start()
            restarting = guarded(restart)
            stopping = guarded(server.stop)
            restarting.start()
            time.sleep(rng.uniform(0.0, 0.05))
            stopping.start()
            restarting.join(60)
            stopping.join(60)
            server.stop()  # whichever finished last may have left it running
            assert errors == [], errors
            assert not server.running
            assert server.pid is None
            assert not is_listening(server.host, server.port, timeout=0.2)
    finally:
        server.stop()
