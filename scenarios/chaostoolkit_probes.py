"""What an experiment exported by ``scenarios.chaostoolkit`` calls at ``chaos run`` time.

``stack_address`` is a dynamic configuration probe: the stack's address for a field of
``stack.json`` (``proxy_api``, ``front_door``, ``prometheus_url``), from an environment
variable when it is set, else from the stack directory named by the configuration's
``chaoslab_stack`` (default: the current stack under ``.chaoslab`` of the working
directory). So an export keeps working after ``chaoslab down`` / ``up`` gives the stack
new ports.

``availability`` is the steady-state probe: the share of the chat requests the service
answered without a 5xx over the next ``window_s`` seconds, from the stack's Prometheus
(``chat_http_requests_total``, summed over replicas) or, without one, from each replica's
``/metrics`` read before and after the window. It raises when it sees no request at all,
since Chaos Toolkit sends no load of its own: a steady state measured on nothing is not met.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from lab.stack.rules import CHAT_ROUTES
from lab.stack.stackdirs import current_stack_dir
from rundir import Stack, read_stack

__all__ = ["ProbeError", "availability", "stack_address"]

_METRIC = "chat_http_requests_total"
_ROUTES = ("/v1/chat", "/v1/conversations")


class ProbeError(RuntimeError):
    """The probe could not measure (no stack, no address, no request in the window)."""


def _stack(configuration: Mapping[str, Any] | None) -> Stack:
    where = str((configuration or {}).get("chaoslab_stack") or "")
    return read_stack(current_stack_dir(Path(where) if where else None))


def stack_address(field: str, env: str, configuration: Mapping[str, Any] | None = None) -> str:
    """``$env`` when set, else ``stack.json``'s ``field`` of the configured stack."""
    value = os.environ.get(env, "").strip()
    if value:
        return value.rstrip("/")
    found = getattr(_stack(configuration), field, None)
    if not found:
        raise ProbeError(f"the stack has no {field} in stack.json; set {env}")
    return str(found).rstrip("/")


def _prometheus_counts(url: str, window_s: float) -> tuple[float, float]:
    window = f"{max(1, round(window_s))}s"
    counts = []
    for status in ("", ', status=~"5.."'):
        query = f"sum(increase({_METRIC}{{{CHAT_ROUTES}{status}}}[{window}]))"
        answer = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=10).json()
        result = answer.get("data", {}).get("result", [])
        counts.append(float(result[0]["value"][1]) if result else 0.0)
    return counts[0], counts[1]


def _scrape(urls: list[str]) -> tuple[float, float]:
    total = bad = 0.0
    for url in urls:
        text = httpx.get(url, timeout=10).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                route = sample.labels.get("route", "")
                if sample.name != _METRIC or not route.startswith(_ROUTES):
                    continue
                total += sample.value
                bad += sample.value if sample.labels.get("status", "").startswith("5") else 0.0
    return total, bad


def availability(window_s: float = 10.0, configuration: Mapping[str, Any] | None = None) -> float:
    """Answered without a 5xx / all chat requests over the next ``window_s`` seconds."""
    prometheus = str((configuration or {}).get("prometheus_url") or "")
    if prometheus:
        time.sleep(window_s)
        total, bad = _prometheus_counts(prometheus, window_s)
        source = f"Prometheus {prometheus}"
    else:
        replicas = _stack(configuration).of_kind("replica")
        urls = [c.metrics_url or f"{c.url}/metrics" for c in replicas if c.metrics_url or c.url]
        if not urls:
            raise ProbeError("no prometheus_url and no replica URL in stack.json")
        before = _scrape(urls)
        time.sleep(window_s)
        after = _scrape(urls)
        total, bad = after[0] - before[0], after[1] - before[1]
        source = f"the replicas' /metrics ({len(urls)})"
    if total < 1:
        raise ProbeError(
            f"no chat request in the last {window_s:g} s ({source}): chaos run sends no load;"
            " start load beside it (`uv run chaoslab run --scenario baseline ...`)"
        )
    return round(1.0 - bad / total, 6)
