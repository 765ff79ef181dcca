"""Build run directories by hand: stack.json, events, requests, load stats, prom files.

The reports read only files, so every report test starts from one of these, with known
requests and known fault windows, instead of running the lab.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgspec

from reports.promdata import (
    Index,
    RangeResult,
    ScrapeSummary,
    ScrapeTarget,
    Series,
)
from rundir import (
    Component,
    Event,
    RequestRecord,
    Stack,
    Targets,
    UpstreamRecord,
    append_events,
    write_stack,
)
from rundir.events import Check as CheckDetail
from rundir.events import Look
from rundir.layout import PROM_DIR, PROM_INDEX_FILE, PROM_SCRAPES_FILE

__all__ = ["T0", "RunBuilder", "fault"]

T0 = 1_800_000_000.0
V3_TARGETS = Targets(availability=0.999, latency_p95_s=3.0, ttft_p95_s=1.5)


def fault(
    start: float,
    end: float | None,
    *,
    fault_id: str = "f1",
    components: tuple[str, ...] = (),
    takes_out: bool | None = None,
) -> dict[str, Any]:
    return {"id": fault_id, "start": start, "end": end, "components": list(components),
            "takes_out": takes_out}  # fmt: skip


class RunBuilder:
    """A run of ``duration`` seconds from ``T0`` with ``rate`` requests per second."""

    def __init__(
        self,
        root: Path,
        *,
        phase: str = "v3",
        targets: Targets = V3_TARGETS,
        duration: float = 60.0,
        seed: int = 1,
    ) -> None:
        self.root = root
        self.phase = phase
        self.targets = targets
        self.duration = duration
        self.rng = random.Random(seed)
        self.records: list[RequestRecord] = []
        self.faults: list[dict[str, Any]] = []
        self.checks: list[dict[str, Any]] = []
        self.looks: list[dict[str, Any]] = []
        self.info: dict[str, Any] = {
            "scenario": "provider-outage",
            "hypothesis": "with the primary provider down, the service keeps its SLA",
            "seed": seed,
            "command": "chaoslab run --phase v3 --scenario provider-outage",
        }
        self.finished = True
        self.end_detail: dict[str, Any] = {"status": "ok"}
        self.load_stats: dict[str, Any] | None = {"cpu_max_percent": 40.0}
        self.prom: dict[str, list[Series]] | None = None
        self.scrapes: ScrapeSummary | None = None
        self.components: tuple[Component, ...] = ()
        self.upstream: dict[str, list[UpstreamRecord]] = {}
        self.phase_config: dict[str, Any] = {}
        """What ``stack.json`` records of the phase (``checks``, ``service`` flags...)."""

    def requests(
        self,
        *,
        rate: float = 20.0,
        fails: Callable[[float], bool] = lambda t: False,
        latency: Callable[[float], float] | None = None,
        stream_every: int = 0,
        ttft: float = 0.3,
        start: float = 0.0,
        end: float | None = None,
    ) -> RunBuilder:
        """Evenly spaced requests; ``fails(offset)`` marks failures, ``latency(offset)``
        gives seconds (default: uniform 0.1 .. 0.5 s)."""
        stop = self.duration if end is None else end
        count = round((stop - start) * rate)
        for i in range(count):
            offset = start + i / rate
            failed = fails(offset)
            seconds = latency(offset) if latency else self.rng.uniform(0.1, 0.5)
            stream = bool(stream_every) and i % stream_every == 0
            self.records.append(
                RequestRecord(
                    t=T0 + offset,
                    user="stream" if stream else "chat",
                    name="/v1/chat",
                    outcome="failure" if failed else "good",
                    reason="http_503" if failed else "ok",
                    status=503 if failed else 200,
                    latency_s=seconds,
                    ttft_s=ttft if stream and not failed else None,
                    stream=stream,
                )
            )
        return self

    def excluded(self, count: int) -> RunBuilder:
        for i in range(count):
            self.records.append(
                RequestRecord(t=T0 + i * 0.1, user="abusive", name="/v1/chat",
                              outcome="excluded", reason="http_400", status=400, latency_s=0.01)
            )  # fmt: skip
        return self

    def fault(
        self,
        start: float,
        end: float | None,
        *,
        fault_id: str = "f1",
        components: tuple[str, ...] = (),
        takes_out: bool | None = None,
    ) -> RunBuilder:
        """A fault window; ``components``: the stack parts it hit, ``takes_out``: whether it
        takes them out (None: a run recorded before the runner said), both its event's
        detail."""
        self.faults.append(fault(start, end, fault_id=fault_id, components=components,
                                 takes_out=takes_out))  # fmt: skip
        return self

    def upstream_lines(self, component: str, lines: Iterable[UpstreamRecord]) -> RunBuilder:
        """A fake's request log as the runner copies it (times already absolute)."""
        self.upstream.setdefault(component, []).extend(lines)
        return self

    def steady_check(
        self,
        window: str,
        *,
        holds: bool,
        requests: int,
        availability: float | None = None,
        p95_s: float | None = None,
        cut_at_impact: int = 0,
    ) -> RunBuilder:
        """The runner's periodic steady-state check, as ``chaoslab run`` writes it (the
        runner's own Struct, so a shape it never writes cannot sneak in)."""
        check = CheckDetail(window=window, t_rel=1.0, requests=requests,
                            availability=availability, p95_s=p95_s, holds=holds,
                            cut_at_impact=cut_at_impact)  # fmt: skip
        self.checks.append(msgspec.to_builtins(check))
        return self

    def look(self, *, requests: int, failures: int, went_on_at_most: int) -> RunBuilder:
        """An auto run's first look that went on to a second (``chaoslab run`` writes it)."""
        look = Look(requests=requests, failures=failures, went_on_at_most=went_on_at_most,
                    duration_s=self.duration)  # fmt: skip
        self.looks.append(msgspec.to_builtins(look))
        return self

    def fault_check(self, fault_id: str, *, took_effect: bool, evidence: str) -> RunBuilder:
        """The runner's evidence that a fault happened (or did not)."""
        check = CheckDetail(fault=fault_id, took_effect=took_effect, evidence=evidence)
        self.checks.append(msgspec.to_builtins(check))
        return self

    def series(
        self, metric: str, labels: dict[str, str], points: Iterable[tuple[float, float]]
    ) -> RunBuilder:
        """A saved Prometheus series; offsets in seconds from T0."""
        self.prom = self.prom if self.prom is not None else {}
        shifted = [(T0 + t, v) for t, v in points]
        self.prom.setdefault(metric, []).append(Series(labels=labels, points=shifted))
        return self

    def write(self) -> Path:
        run = self.root
        write_stack(
            run,
            Stack(
                phase=self.phase,
                phase_title="Enterprise",
                seed=int(self.info.get("seed", 0)),
                created_at=T0 - 5,
                stack_dir=str(run),
                front_door="http://127.0.0.1:1",
                api_key="sk-lab-test",
                targets=self.targets,
                components=self.components,
                phase_config=self.phase_config,
            ),
        )
        events = [Event(t=T0, kind="run_start", detail=self.info)]
        for f in self.faults:
            detail = {"components": f["components"]} if f["components"] else {}
            if f.get("takes_out") is not None:
                detail["takes_out"] = f["takes_out"]
            events.append(Event(t=T0 + f["start"], kind="fault_start", id=f["id"],
                                target="primary-provider", action="outage",
                                detail=detail))  # fmt: skip
            if f["end"] is not None:
                events.append(Event(t=T0 + f["end"], kind="fault_end", id=f["id"]))
        for c in self.checks:
            events.append(Event(t=T0 + 1, kind="check", detail=c))
        for look in self.looks:
            events.append(Event(t=T0 + self.duration / 4, kind="look", detail=look))
        if self.finished:
            events.append(Event(t=T0 + self.duration, kind="run_end", detail=self.end_detail))
        append_events(run, sorted(events, key=lambda e: e.t))
        load = run / "load"
        load.mkdir(parents=True, exist_ok=True)
        encoder = msgspec.json.Encoder()
        (load / "requests.jsonl").write_bytes(
            b"".join(encoder.encode(r) + b"\n" for r in self.records)
        )
        if self.load_stats is not None:
            (load / "stats.json").write_bytes(encoder.encode(self.load_stats))
        for component, lines in self.upstream.items():
            (run / "upstream").mkdir(exist_ok=True)
            (run / "upstream" / f"{component}.jsonl").write_bytes(
                b"".join(encoder.encode(line) + b"\n" for line in lines)
            )
        if self.prom is not None or self.scrapes is not None:
            self._write_prom(run / PROM_DIR, encoder)
        return run

    def _write_prom(self, folder: Path, encoder: msgspec.json.Encoder) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for metric, series in (self.prom or {}).items():
            result = RangeResult(metric=metric, query=metric, start=T0,
                                 end=T0 + self.duration, step=1.0, series=series)  # fmt: skip
            (folder / f"{metric}.json").write_bytes(encoder.encode(result))
        if self.scrapes is not None:
            (folder / PROM_SCRAPES_FILE).write_bytes(encoder.encode(self.scrapes))
        index = Index(prometheus_url="http://127.0.0.1:9", start=T0, end=T0 + self.duration,
                      step=1.0, metrics=sorted(self.prom or {}))  # fmt: skip
        (folder / PROM_INDEX_FILE).write_bytes(encoder.encode(index))

    def scrape(
        self,
        expected: int,
        span: tuple[float, float] | None = None,
        gaps: dict[str, list[tuple[float, float]]] | None = None,
        **targets: tuple[int, list[float]],
    ) -> RunBuilder:
        """Scrape counts per target name: ``name=(scrapes, [down offsets])``; ``span``: the
        offsets of every target's first and last scrape, when known; ``gaps``: per target
        name, the offsets of the scrapes around each gap. A target named ``prometheus`` is
        Prometheus's scrape of itself (job ``prometheus``); the others are replicas."""
        first, last = (T0 + span[0], T0 + span[1]) if span else (None, None)
        gaps = gaps or {}
        self.scrapes = ScrapeSummary(
            scrape_interval=1.0,
            expected=expected,
            targets=[
                ScrapeTarget(job="prometheus" if name == "prometheus" else "replica",
                             instance=name, scrapes=n, down=[T0 + d for d in down],
                             first=first, last=last,
                             gaps=[(T0 + a, T0 + b) for a, b in gaps.get(name, [])])
                for name, (n, down) in targets.items()
            ],
        )  # fmt: skip
        return self
