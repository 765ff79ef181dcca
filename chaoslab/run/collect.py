"""Save what reports need from Prometheus into the run directory, at the end of a run.

The runner calls, after the load has stopped::

    from chaoslab.run.collect import save
    index = save(stack, run_dir, start=run_start, end=run_end)

``save(stack, run_dir, *, start, end, prometheus_url=None, step=None, prefixes=PREFIXES,
settle=True, timeout=10.0) -> Index``

- ``start`` / ``end``: the run window, Unix seconds (the ``run_start`` / ``run_end`` events).
- ``prometheus_url``: defaults to ``stack.prometheus_url``.
- ``step``: the scrape interval; default: Prometheus's global one (read from its config).
- ``prefixes``: which metric families to save: the service's (``chat_``), the fakes'
  (``fake_llm_``), the proxy's (``toxiproxy_``), the load generator's (``load_``,
  ``locust_``, ``lab_``, ``chaoslab_``) and ``up``.
- ``settle``: first wait (at most three scrape intervals) until Prometheus has scraped
  every target after ``end``, so the last counts are in ("one last scrape").

It writes ``RUN/prom/<metric>.json`` (the raw samples of every series with their scrape
timestamps, from one interval before ``start`` to ``end``: counters are reconciled as
differences, never extrapolated), ``scrapes.json``
(scrapes per target against the expected count, and when each was down) and
``index.json`` (what was saved, and every query that failed). It never raises for
Prometheus trouble: failures are listed in ``index.errors`` (and the report warns), so a
run's other data is never lost to a missing Prometheus. Traffic goes only to the URL given.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import yaml

from reports.promdata import (
    Index,
    RangeResult,
    ScrapeSummary,
    ScrapeTarget,
    Series,
    gaps_between,
)
from rundir import Stack
from rundir.layout import PROM_DIR, PROM_INDEX_FILE, PROM_SCRAPES_FILE, prom_series_file
from scenarios.model import parse_seconds

__all__ = ["PREFIXES", "PrometheusError", "save"]

PREFIXES = ("chat_", "fake_llm_", "toxiproxy_", "load_", "locust_", "lab_", "chaoslab_", "up")


class PrometheusError(RuntimeError):
    """A query failed; the message is one line."""


class _Client:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        address = f"{self.url}{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as response:  # noqa: S310 - the stack's Prometheus
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("utf-8", "replace")
            raise PrometheusError(f"{path}: HTTP {error.code} {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise PrometheusError(f"{path}: {error}") from None
        if body.get("status") != "success":
            raise PrometheusError(f"{path}: {body.get('error', body)}")
        return body["data"]


def _seconds(text: str) -> float:
    """Prometheus's ``scrape_interval`` (``15s``, ``1m``): the scenarios' duration rule;
    60 s (its default) when unreadable."""
    try:
        return float(parse_seconds(text)) or 60.0
    except ValueError:
        return 60.0


def _scrape_interval(client: _Client) -> float:
    config = yaml.safe_load(client.get("/api/v1/status/config")["yaml"]) or {}
    return _seconds(str((config.get("global") or {}).get("scrape_interval", "1m")))


def _settle(client: _Client, end: float, interval: float) -> None:
    """Wait until every target's last scrape is after ``end`` (bounded)."""
    deadline = time.monotonic() + 3 * interval + 1
    while time.monotonic() < deadline:
        result = client.get("/api/v1/query", query="min(timestamp(up))")["result"]
        if not result or float(result[0]["value"][1]) >= end:
            return
        time.sleep(min(interval / 4, 0.5))


def _series(raw: list[dict[str, Any]]) -> list[Series]:
    out: list[Series] = []
    for item in raw:
        labels = {k: v for k, v in item["metric"].items() if k != "__name__"}
        points = [(float(t), float(v)) for t, v in item.get("values", [])]
        points = [(t, v) for t, v in points if not math.isnan(v)]
        out.append(Series(labels=labels, points=points))
    return out


def save(
    stack: Stack,
    run_dir: Path,
    *,
    start: float,
    end: float,
    prometheus_url: str | None = None,
    step: float | None = None,
    prefixes: Sequence[str] = PREFIXES,
    settle: bool = True,
    timeout: float = 10.0,
) -> Index:
    url = prometheus_url or stack.prometheus_url
    folder = run_dir / PROM_DIR
    folder.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    saved: list[str] = []
    if not url:
        missing = "the stack has no Prometheus (stack.json: prometheus_url)"
        index = Index(prometheus_url="", start=start, end=end, step=0.0, errors=[missing])
        _write(folder / PROM_INDEX_FILE, index)
        return index
    client = _Client(url, timeout)
    interval = step or 1.0
    try:
        interval = step or _scrape_interval(client)
        if settle:
            _settle(client, end, interval)
        names = client.get("/api/v1/label/__name__/values", start=f"{start}", end=f"{end}")
    except PrometheusError as error:
        errors.append(str(error))
        names = []
    # raw samples with their scrape timestamps, from one interval before the window (the
    # baseline each counter's increase starts from) to its end
    span_ms = math.ceil((end - start + interval) * 1000)
    for name in sorted(n for n in names if n.startswith(tuple(prefixes)) or n in prefixes):
        if name.endswith("_created"):
            continue
        query = f'{{__name__="{name}"}}[{span_ms}ms]'
        try:
            data = client.get("/api/v1/query", query=query, time=f"{end}")
        except PrometheusError as error:
            errors.append(str(error))
            continue
        result = RangeResult(metric=name, query=query, start=start, end=end, step=interval,
                             series=_series(data["result"]))  # fmt: skip
        _write(prom_series_file(run_dir, name), result)
        saved.append(name)
    try:
        _write(
            folder / PROM_SCRAPES_FILE, _scrapes(client, start=start, end=end, interval=interval)
        )
    except PrometheusError as error:
        errors.append(str(error))
    index = Index(prometheus_url=url, start=start, end=end, step=interval, metrics=saved,
                  errors=errors)  # fmt: skip
    _write(folder / PROM_INDEX_FILE, index)
    return index


def _scrapes(client: _Client, *, start: float, end: float, interval: float) -> ScrapeSummary:
    window = max(math.ceil(end - start), 1)
    raw = client.get("/api/v1/query", query=f"up[{window}s]", time=f"{end}")  # every scrape
    targets: list[ScrapeTarget] = []
    for item in raw["result"]:
        samples = [(float(t), float(v)) for t, v in item.get("values", [])]
        targets.append(
            ScrapeTarget(
                job=item["metric"].get("job", ""),
                instance=item["metric"].get("instance", ""),
                scrapes=len(samples),
                down=[t for t, v in samples if v == 0.0],
                first=samples[0][0] if samples else None,
                last=samples[-1][0] if samples else None,
                gaps=gaps_between([t for t, _ in samples], interval),
            )
        )
    return ScrapeSummary(
        scrape_interval=interval,
        expected=int((end - start) // interval),
        targets=sorted(targets, key=lambda t: (t.job, t.instance)),
    )


def _write(path: Path, value: object) -> None:
    path.write_bytes(msgspec.json.encode(value))
