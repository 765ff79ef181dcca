"""The open model keeps its arrival rate against a frozen (SIGSTOP) service."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path

from chaoslab.run.locust import LocustRun
from rundir import read_requests
from tests.integration.experiments.conftest import MiniStack, load_config

RATE = 20.0
DURATION = 6.0


def test_arrivals_keep_their_rate_against_a_frozen_service(
    mini_stack: MiniStack, tmp_path: Path
) -> None:
    """Frozen service: arrivals still start at the configured rate; the ones that cannot
    finish are timeouts or dropped at the in-flight cap, all counted as failures."""
    config = load_config(
        mini_stack,
        tmp_path,
        arrival_rate=RATE,
        max_in_flight=10,
        timeout=2.0,
        duration=DURATION,
        mix={"chat": 1},
    )
    pid = mini_stack.service.pid
    assert pid is not None
    os.killpg(os.getpgid(pid), signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 5
        while mini_stack.service_state() != "T" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mini_stack.service_state() == "T"
        locust = LocustRun(run_dir=tmp_path, config_path=config, duration=DURATION).start()
        try:
            assert locust.wait(60) is not None, locust.log_tail()
        finally:
            locust.stop()
    finally:
        os.killpg(os.getpgid(pid), signal.SIGCONT)
    records = read_requests(tmp_path)
    due = sorted(r.t for r in records)
    span = due[-1] - due[0]
    # every arrival but the <= 10 still pending at the end is recorded, at the set rate
    assert len(records) >= RATE * DURATION * 0.8 - 10, len(records)
    assert RATE * 0.8 <= (len(due) - 1) / span <= RATE * 1.2
    reasons = Counter(r.reason for r in records)
    assert set(reasons) <= {"timeout", "dropped_at_cap"}, reasons
    assert reasons["dropped_at_cap"] > 0
    assert all(r.outcome == "failure" for r in records)
