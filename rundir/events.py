"""The typed ``detail`` of each event kind in ``events.jsonl``.

Writers build one of these Structs and make the event with ``event(detail, ...)``; readers
get it back with ``detail(event, RunStart)`` (or the shortcut for their kind), never by
string key. On disk a detail is a JSON object, as before: run directories written before
these Structs existed read the same (unknown keys are ignored, missing ones take defaults).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec

from rundir.layout import EVENTS_FILE
from rundir.records import Event, EventKind, RunDirError

__all__ = [
    "Abort",
    "Check",
    "Detail",
    "FaultEnd",
    "FaultStart",
    "LoadStart",
    "LoadStop",
    "Look",
    "MachineWait",
    "Note",
    "Overrides",
    "RunEnd",
    "RunPlan",
    "RunStart",
    "detail",
    "event",
]


class Detail(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Base of every event's detail; ``KIND`` is the event kind it belongs to."""

    KIND: ClassVar[EventKind]


class Overrides(msgspec.Struct, frozen=True, kw_only=True):
    """The scenario's steady-state targets where it sets them (``None``: the phase's); the
    same bounds as ``rundir.Targets`` (a tampered availability of -3 judges nothing)."""

    availability: Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)] | None = None
    latency_p95_s: Annotated[float, msgspec.Meta(gt=0.0)] | None = None
    ttft_p95_s: Annotated[float, msgspec.Meta(gt=0.0)] | None = None


class RunPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The load plan the runner printed before the run (``chaoslab.run.plan``)."""

    load_model: str = "closed"
    """``open`` (an arrival rate) or ``closed`` (a number of users)."""
    offered_rate: float | None = None
    duration_s: float | None = None
    scenario_duration_s: float | None = None
    auto: bool = False
    """Whether the duration was chosen by ``--duration auto``."""
    stretched: bool = False
    requests_needed: int | None = None
    """Requests a verdict on the availability target needs."""
    wall_s: float | None = None
    decidable: bool | None = None
    advice: str = ""


class RunStart(Detail, frozen=True, kw_only=True):
    """What the run was: the scenario, the load, who ran it and with what."""

    KIND: ClassVar[EventKind] = "run_start"
    scenario: str = ""
    title: str = ""
    hypothesis: str = ""
    seed: int | None = None
    """The run's seed (load choices, timeline jitter)."""
    stack_seed: int | None = None
    """The seed the stack's fakes were started with."""
    gate: bool = False
    """Whether the run was started with ``--gate`` (``chaoslab report`` does the same)."""
    allow_overrides: bool = False
    duration_s: float | None = None
    users: int | None = None
    scale: float = 1.0
    """This run's duration over the scenario's (the timeline scaled with it)."""
    arrival_rate: float | None = None
    workers: int = 0
    expect_workers: int = 0
    """Locust workers expected to join from elsewhere (distributed mode)."""
    plan: RunPlan | None = None
    """The load plan printed before the run."""
    command: list[str] | str = msgspec.field(default_factory=list)
    overrides: Overrides = msgspec.field(default_factory=Overrides)
    stack_dir: str = ""
    """The stack directory the run played against."""
    brought_up: bool = False
    """Whether the run brought that stack up itself (and took it down)."""
    runner_metrics: str = ""
    """``host:port`` of the runner's own metrics."""
    runner_pid: int | None = None
    runner_start: int | None = None
    """The runner's start time (``/proc`` ticks): with the pid, which process it was."""
    versions: dict[str, str] = msgspec.field(default_factory=dict)
    git_commit: str = ""
    timeline_zero: float | None = None
    """When the fault timeline's second 0 was (Unix time); absent when the run never
    started its load."""

    @property
    def command_line(self) -> str:
        return " ".join(self.command) if isinstance(self.command, list) else self.command


class MachineWait(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Seconds the machine kept processes waiting during the run (Linux pressure stall
    information: "some" = at least one runnable task waited, "full" = all of them did), and
    CPU seconds the hypervisor stole. ``None``: the kernel does not say."""

    cpu_s: float | None = None
    io_s: float | None = None
    io_full_s: float | None = None
    memory_s: float | None = None
    memory_full_s: float | None = None
    steal_s: float | None = None


class RunEnd(Detail, frozen=True, kw_only=True):
    KIND: ClassVar[EventKind] = "run_end"
    status: str = "ok"
    """``ok``, ``aborted``, ``interrupted`` or ``error``."""
    reason: str = ""
    machine: MachineWait | None = None
    """How long the machine kept processes waiting between ``run_start`` and this event."""


class LoadStart(Detail, frozen=True, kw_only=True):
    KIND: ClassVar[EventKind] = "load_start"
    users: int | None = None
    ui: str | None = None
    """Locust's web UI address, when served."""
    master: str | None = None
    """The Locust master's address remote workers join (distributed mode)."""


class LoadStop(Detail, frozen=True, kw_only=True):
    KIND: ClassVar[EventKind] = "load_stop"
    requests: int = 0


class FaultStart(Detail, frozen=True, kw_only=True):
    """A fault about to be inflicted: what it hits and how to undo it."""

    KIND: ClassVar[EventKind] = "fault_start"
    components: list[str] = msgspec.field(default_factory=list)
    proxies: list[str] = msgspec.field(default_factory=list)
    undo: list[dict[str, Any]] = msgspec.field(default_factory=list)
    """The steps that revert it (``scenarios.actions``' undo plan), replayable later."""
    planned_start_s: float | None = None
    planned_end_s: float | None = None
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    takes_out: bool | None = None
    """Whether the fault takes its targets out (they stop answering) rather than degrading
    them; None in runs recorded before the runner said (read as taking out)."""


class FaultEnd(Detail, frozen=True, kw_only=True):
    KIND: ClassVar[EventKind] = "fault_end"
    how: str = "end"
    """``end``, ``instant``, ``failed``, ``run_end``, ``interrupt``, ``error``,
    ``reverted_later``."""
    error: str | None = None
    undo_problems: list[str] = msgspec.field(default_factory=list)


class Check(Detail, frozen=True, kw_only=True):
    """One of the two checks the runner writes: the periodic steady-state check (``window``
    set) or a fault's took-effect check (``fault`` set)."""

    KIND: ClassVar[EventKind] = "check"
    # the steady state over the last ``check_every`` seconds
    window: str | None = None
    """``before``, ``during`` or ``after`` the faults."""
    t_rel: float | None = None
    requests: int | None = None
    """The requests the check judged (those it left out aside), as ``availability``."""
    availability: float | None = None
    availability_upper: float | None = None
    p95_lower: float | None = None
    """The exact lower bound of the window's p95 (the check breaks only when it is over)."""
    p95_s: float | None = None
    holds: bool | None = None
    active: list[str] = msgspec.field(default_factory=list)
    cut_at_impact: int = 0
    """Requests the check left out: streams a fault that takes its targets out cut at its
    start, past their first token, on the provider it hit (the fault's own cost: finishing
    them elsewhere would mix two providers' text). The run's availability counts them."""
    # a fault's own evidence that it happened
    fault: str | None = None
    took_effect: bool | None = None
    evidence: str | None = None


class Abort(Detail, frozen=True, kw_only=True):
    KIND: ClassVar[EventKind] = "abort"
    reason: str = ""
    budget_used: float | None = None


class Look(Detail, frozen=True, kw_only=True):
    """An auto run's first look at its availability went on to a second look
    (``chaoslab.run.plan.second_look``); the report judges the run by both
    (``reports.stats.second_look_p``)."""

    KIND: ClassVar[EventKind] = "look"
    requests: int = 0
    """Valid requests at the first look."""
    failures: int = 0
    """Failed ones among them."""
    went_on_at_most: int = 0
    """The most failures with which the first look went on: the continuation rule, fixed
    before the second look's data."""
    duration_s: float | None = None
    """The run's new planned length."""


class Note(Detail, frozen=True, kw_only=True):
    KIND: ClassVar[EventKind] = "note"
    error: str = ""


D = TypeVar("D", bound=Detail)


def event(
    detail: Detail,
    *,
    t: float | None = None,
    id: str | None = None,
    target: str | None = None,
    action: str | None = None,
) -> Event:
    """An event of ``detail``'s kind at ``t`` (default: now)."""
    return Event(
        t=time.time() if t is None else t,
        kind=detail.KIND,
        id=id,
        target=target,
        action=action,
        detail=msgspec.to_builtins(detail),
    )


def detail(event: Event, kind: type[D]) -> D:
    """``event``'s detail as ``kind``; ``RunDirError`` (one line) when it does not fit."""
    if event.kind != kind.KIND:
        raise ValueError(f"a {event.kind} event has no {kind.__name__} detail")
    try:
        return msgspec.convert(event.detail, kind)
    except msgspec.ValidationError as error:
        raise RunDirError(f"{EVENTS_FILE}: a {event.kind} event's detail: {error}") from None
