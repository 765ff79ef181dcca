"""The runner and the stack's Prometheus: rescale the run's burn-rate alert to the run's
length, and wait until Prometheus scrapes the run's own targets before the timeline starts."""

from __future__ import annotations

import contextlib
import time
import urllib.request
from pathlib import Path

import httpx

from rundir import Stack
from rundir.layout import RULES_DIR

__all__ = ["scale_alerts", "wait_scraped"]


def scale_alerts(stack: Stack, stack_dir: Path, *, duration_s: float) -> None:
    """Rewrite the local stack's run-scaled burn-rate rule for a run of ``duration_s`` and
    have Prometheus reload it (``ChatSLOBurnRateRun``: windows run/12 and run/144)."""
    rules_dir = stack_dir / RULES_DIR
    url = stack.prometheus_url
    if stack.backend != "local" or url is None or not rules_dir.is_dir():
        return
    from lab.phases import PhaseError, get_phase
    from lab.stack.rules import write_run_burn_rules

    try:
        phase = get_phase(stack.phase)
    except PhaseError:
        return
    write_run_burn_rules(phase, rules_dir, duration_s=duration_s, scrape_s=1.0)
    reload = urllib.request.Request(f"{url.rstrip('/')}/-/reload", method="POST")  # noqa: S310
    with contextlib.suppress(OSError):
        urllib.request.urlopen(reload, timeout=5).close()  # noqa: S310 - the stack's own


def wait_scraped(stack: Stack, run_name: str, *, workers: int, timeout: float = 15.0) -> None:
    """Until the stack's Prometheus scrapes the run's runner and its ``workers`` Locust
    exporters (so the run's window has all their scrapes); at most ``timeout`` seconds."""
    url = stack.prometheus_url
    if not url:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            data = httpx.get(f"{url}/api/v1/targets", timeout=2).json()["data"]
        except (httpx.HTTPError, ValueError, KeyError):
            return
        ours = [
            t for t in data["activeTargets"]
            if t["labels"].get("run") == run_name
            or str(t["labels"].get("worker", "")).startswith(f"{run_name}-")
        ]  # fmt: skip
        if len(ours) >= 1 + workers and all(t["health"] == "up" for t in ours):
            return
        time.sleep(0.25)
