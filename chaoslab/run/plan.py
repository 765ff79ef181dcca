"""The load plan of a run: open or closed model, rate, duration, Locust processes, wall time.

``make_plan`` is printed before a run starts. With ``--duration auto`` it sizes the run so
that a phase that fails nothing gets a conclusive pass: the requests needed come from
``reports.stats.requests_needed_proportion``, the same function the report's availability
verdict uses to say how many requests an inconclusive verdict would need; the duration is
that many requests at the offered rate (a little more, for the start), never shorter than
the scenario's own. ``--workers auto`` adds Locust processes when one cannot drive the rate.

An auto run looks at its availability twice at most: at the planned end (the report's Wilson
verdict) and, when that first look is inconclusive but a pass is still in reach, again after
the run went on to ``SECOND_LOOK_FACTOR`` times its requests (``second_look``; the exact
rule is ``reports.stats.second_look_p``). A fault that costs a few requests it cannot save
(streams cut at a freeze) then still ends conclusive.

When the plan is longer than ``MAX_AUTO_S`` or this machine's loader cannot reach the rate,
``advice`` is the one line saying the phase cannot be decided at this rate here and what
would decide it (an auto duration is then capped at ``MAX_AUTO_S``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace

from reports.load import START_MARGIN, START_S, cli_minutes, send_seconds
from reports.stats import first_look, requests_needed_proportion, second_look_allows
from rundir import Stack
from rundir.events import RunPlan

__all__ = [
    "DEFAULT_RATE",
    "LOADER_RATE_PER_PROCESS",
    "MAX_AUTO_S",
    "SECOND_LOOK_FACTOR",
    "LoadPlan",
    "SecondLook",
    "check_key_limit",
    "key_rate_limit",
    "make_plan",
    "requests_needed",
    "second_look",
]

DEFAULT_RATE = 15.0
"""Requests per second the open model offers when neither ``--rate`` nor the scenario says:
the same for every phase, within what one Locust process and the stack drive on 2 cores.
With the providers' realistic profiles (answers of 1-3 s, ~45 stream events each) 40/s
kept ~50 streams open and saturated a V3 stack's replicas: ``/v1/ready`` then took 1.7 s
and HAProxy took every replica out (issue 20, measured on a loaded 2-core machine)."""
LOADER_RATE_PER_PROCESS = 120.0
"""Arrivals per second one Locust process offers with room to spare: measured 13 % of a core
at 40/s against V3 (docs/load.md, "Calibration"), so about 40 % at 120/s, far from the 90 %
that makes a run invalid; ``--workers auto`` adds processes above it."""
MAX_AUTO_S = 20 * 60.0
"""An auto duration longer than this is not run: the plan says what would decide it."""
SECOND_LOOK_FACTOR = 4.0
"""An auto run whose first look is inconclusive, with a pass still in reach, goes on to this
many times the requests it had: at 99.9 % about 4,100 requests become 16,400, and up to 7
failures among them still pass (``reports.stats.second_look_allows``); twice as many would
allow only 2, fewer than a provider freeze often cuts (1 to 5 streams in flight)."""
OVERHEAD_S = 35.0
"""Wall time beyond the load: Locust's start, the first answer and scrape, the tail, saving
Prometheus's data and the report (measured on a 2-core machine; docs/load.md)."""
UP_S = 30.0
"""Wall time to bring a stack up when none runs (``chaoslab up``)."""
KEY_SHARE = 0.8
"""The open model offers each load key at most this share of the service's per-key limit."""


def requests_needed(target: float, *, expected: float = 1.0) -> int | None:
    """Valid requests for the availability verdict to pass conclusively when the phase
    delivers ``expected`` (1.0: fails nothing); the report's own function."""
    return requests_needed_proportion(expected, target)


def key_rate_limit(tiers: str) -> float | None:
    """Requests per second one key may send under ``CHAT_RATE_TIERS``'s default tier
    (``default=600/60`` -> 10.0); None when it names no default tier."""
    for tier in tiers.split(","):
        name, _, value = tier.partition("=")
        if name.strip() != "default":
            continue
        requests, _, period = value.partition("/")
        try:
            return float(requests) / float(period)
        except (ValueError, ZeroDivisionError):
            return None
    return None


def check_key_limit(rate: float | None, stack: Stack) -> None:
    """The open model rotates over the load keys; refuse a rate that would trip the
    service's per-key limiter (the lab's ``default`` tier) on them (``ValueError``)."""
    if rate is None or stack.backend != "local":
        return
    from lab.stack.config import DEFAULT_RATE_TIERS

    per_key = key_rate_limit(DEFAULT_RATE_TIERS)
    keys = len(stack.load_api_keys or (stack.api_key,))
    if per_key is not None and rate > keys * per_key * KEY_SHARE:
        most = keys * per_key * KEY_SHARE
        raise ValueError(
            f"--rate {rate:g} would trip the service's per-key limit "
            f"({DEFAULT_RATE_TIERS} on {keys} load keys): offer at most {most:g} requests/s"
        )


def _duration_text(seconds: float) -> str:
    seconds = math.ceil(seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes == 0:
        return f"{rest} s"
    return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"


@dataclass(frozen=True, kw_only=True)
class LoadPlan:
    """What a run will do, decided before it starts."""

    phase: str
    target: float
    open_model: bool
    rate: float
    """Offered arrivals/s (open model), or the closed users' estimated requests/s."""
    users: int | None
    duration_s: float
    scenario_duration_s: float
    auto: bool
    stretched: bool
    """Steady spans lengthened, fault windows at the scenario's times (auto)."""
    requests_needed: int | None
    workers: int
    """Locust worker processes (0: one standalone process)."""
    wall_s: float
    advice: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def longest_s(self) -> float:
        """The longest this run may last: an auto run may go on for a second look."""
        if self.auto and self.open_model and self.requests_needed is not None:
            longer = self.duration_s * SECOND_LOOK_FACTOR
            if longer <= MAX_AUTO_S:
                return longer
        return self.duration_s

    @property
    def processes(self) -> int:
        return max(1, self.workers)

    @property
    def requests_expected(self) -> int:
        return int(self.rate * self.duration_s)

    @property
    def decidable(self) -> bool:
        return not self.advice

    def detail(self) -> RunPlan:
        """The plan as ``run_start`` records it."""
        return RunPlan(
            load_model="open" if self.open_model else "closed",
            offered_rate=self.rate if self.open_model else None,
            duration_s=self.duration_s,
            scenario_duration_s=self.scenario_duration_s,
            auto=self.auto,
            stretched=self.stretched,
            requests_needed=self.requests_needed,
            wall_s=self.wall_s,
            decidable=self.decidable,
            advice=self.advice,
        )

    def lines(self, *, looks: bool = True) -> list[str]:
        """The plan as printed before the run (``looks``: with the second-look line, when the
        run may go on; ``compare`` runs every phase for one length and never does)."""
        load = (
            f"open model, {self.rate:g} requests/s offered"
            if self.open_model
            else f"closed model, {self.users} users (about {self.rate:.0f} requests/s)"
        )
        if self.stretched:
            length = (
                f"{_duration_text(self.duration_s)} ({'auto: ' if self.auto else ''}the "
                f"scenario's {_duration_text(self.scenario_duration_s)} with its steady spans "
                "lengthened, faults at their times)"
            )
        elif self.auto:
            length = f"{_duration_text(self.duration_s)} (auto: the scenario's own suffices)"
        else:
            length = _duration_text(self.duration_s)
        needed = (
            f"{self.requests_needed:,} needed for a conclusive {self.target * 100:g} % "
            "when nothing fails"
            if self.requests_needed is not None
            else "no request count makes this target conclusive"
        )
        loader = (
            "1 Locust process" if self.workers <= 0 else f"Locust master + {self.workers} workers"
        )
        lines = [
            f"plan {self.phase.upper()}: {load} · {length} · about "
            f"{self.requests_expected:,} requests ({needed}) · {loader} · wall time about "
            f"{_duration_text(self.wall_s)}"
        ]
        lines += self.notes
        if looks and self.longest_s > self.duration_s:
            first = self.requests_expected
            allowed = second_look_allows(first, round(first * SECOND_LOOK_FACTOR), self.target)
            lines.append(
                f"auto: if the first look at the end is inconclusive with at most {allowed} "
                f"failures, the run goes on to {_duration_text(self.longest_s)} "
                f"({SECOND_LOOK_FACTOR:g}x) for a second look"
            )
        if self.advice:
            lines.append(self.advice)
        return lines


def _loader_processes(rate: float) -> int:
    return max(1, math.ceil(rate / LOADER_RATE_PER_PROCESS))


def make_plan(
    *,
    phase: str,
    target: float,
    scenario_duration: float,
    duration: float | None,
    auto: bool,
    rate: float | None,
    users: int | None,
    think_time: float = 1.0,
    workers: int | None = None,
    brings_up: bool = False,
    keep_fault_times: bool = False,
    cpus: int | None = None,
    rate_is_default: bool = False,
) -> LoadPlan:
    """The plan of one run. ``rate`` set: the open model at that rate; else closed ``users``
    (its rate estimated as users / think time). ``duration`` None and not ``auto``: the
    scenario's. ``workers`` None: as many as the rate needs (``--workers auto``).
    ``rate_is_default``: nobody chose ``rate`` (``DEFAULT_RATE``); with ``auto``, when the
    requests a conclusive pass needs do not fit in ``MAX_AUTO_S`` at it, the plan offers the
    lowest rate at which they fit, if this machine's loader reaches it."""
    cpus = cpus or os.cpu_count() or 1
    open_model = rate is not None
    offered = float(rate) if rate is not None else max(1, users or 1) / max(think_time, 0.1)
    needed = requests_needed(target)
    raised = ""
    if auto and open_model and rate_is_default and needed is not None:
        fit_rate = float(math.ceil(needed * START_MARGIN / (MAX_AUTO_S - START_S)))
        if fit_rate > offered and fit_rate <= cpus * LOADER_RATE_PER_PROCESS:
            raised = (
                f"note: auto offers {fit_rate:g} requests/s instead of the default "
                f"{offered:g}/s: the {needed:,} requests a conclusive {target * 100:g} % needs "
                f"take {_duration_text(send_seconds(needed, offered))} at "
                f"{offered:g}/s, over the {_duration_text(MAX_AUTO_S)} limit (--rate sets it)"
            )
            offered = fit_rate
    processes = _loader_processes(offered) if open_model else 1
    auto_workers = min(processes, cpus)
    chosen = workers if workers is not None else (0 if auto_workers <= 1 else auto_workers)
    notes: list[str] = [raised] if raised else []
    advice = ""
    reachable = (
        not open_model or max(1, chosen) * LOADER_RATE_PER_PROCESS >= offered
    ) and processes <= cpus
    if auto and not open_model:
        notes.append(
            "note: closed users send less when the service slows down, so this duration is an "
            "estimate; the open model (--rate) sizes a run exactly"
        )
    if auto:
        wanted = scenario_duration
        if needed is not None:
            wanted = max(scenario_duration, send_seconds(needed, offered))
        length = min(wanted, MAX_AUTO_S)
        if needed is None:
            advice = (
                f"{phase.upper()} cannot be decided by load alone: its target "
                f"{target * 100:g} % is 100 %"
            )
        elif wanted > MAX_AUTO_S or not reachable:
            advice = _advice(phase, target, needed, offered, wanted, reachable, cpus)
    else:
        length = duration if duration is not None else scenario_duration
        if needed is not None and offered * length < needed:
            notes.append(
                f"note: {offered * length:,.0f} requests cannot make {target * 100:g} % "
                f"conclusive (needs {needed:,}); --duration auto sizes the run"
            )
        if not reachable:
            advice = (
                f"{phase.upper()} at {offered:g} requests/s: this machine's loader cannot offer "
                f"it ({_loader_processes(offered)} Locust processes needed, {cpus} cores), so "
                f"the run will likely be invalid; {cpus * LOADER_RATE_PER_PROCESS:g} requests/s "
                "is the most it offers here (more from workers on other machines: docs/load.md)"
            )
    wall = length + OVERHEAD_S + (UP_S if brings_up else 0.0)
    return LoadPlan(
        phase=phase,
        target=target,
        open_model=open_model,
        rate=offered,
        users=None if open_model else users,
        duration_s=length,
        scenario_duration_s=scenario_duration,
        auto=auto,
        stretched=(auto or keep_fault_times) and length > scenario_duration,
        requests_needed=needed,
        workers=chosen,
        wall_s=wall,
        advice=advice,
        notes=notes,
    )


def _advice(
    phase: str,
    target: float,
    needed: int,
    rate: float,
    wanted: float,
    reachable: bool,
    cpus: int,
) -> str:
    """One line: this phase cannot be decided at this rate here, and what would decide it."""
    most = cpus * LOADER_RATE_PER_PROCESS
    fit_rate = math.ceil(needed * START_MARGIN / (MAX_AUTO_S - START_S))
    why = (
        f"this machine's loader cannot offer {rate:g} requests/s "
        f"({_loader_processes(rate)} Locust processes needed, {cpus} cores)"
        if not reachable
        else f"a conclusive {target * 100:g} % needs {needed:,} requests, "
        f"{_duration_text(wanted)} at {rate:g} requests/s (limit {_duration_text(MAX_AUTO_S)})"
    )
    if fit_rate <= most:
        processes = _loader_processes(fit_rate)
        fix = (
            f"--rate {fit_rate}"
            + (f" --workers {processes}" if processes > 1 else "")
            + f" (if the stack serves it here: chaoslab capacity --phase {phase})"
        )
    else:
        slow = send_seconds(needed, most)
        fix = (
            f"--rate {fit_rate} from {_loader_processes(fit_rate)} Locust workers on more "
            f"cores (docs/load.md), or --rate {most:g} --workers {cpus} --duration "
            f"{cli_minutes(slow)} here"
        )
    if reachable and fit_rate > most:
        fix += f", or --duration {cli_minutes(wanted)} at this rate"
    elif reachable:
        fix += f" or --duration {cli_minutes(wanted)}"
    return (
        f"{phase.upper()} cannot be decided at {rate:g} requests/s here: {why}; "
        f"{fix} would decide it"
    )


@dataclass(frozen=True, kw_only=True)
class SecondLook:
    """What an auto run does at its first look (``second_look``)."""

    requests: int
    """Valid requests at the first look."""
    failures: int
    went_on_at_most: int
    """The most failures with which the first look goes on (a pass still in reach)."""
    duration_s: float | None
    """The run's new length; None: it ends now."""
    line: str
    """What the live display says (empty: nothing to say, the first look passed)."""


def second_look(plan: LoadPlan, *, requests: int, failures: int, elapsed_s: float) -> SecondLook:
    """The first look of an auto run at its planned end: go on to ``SECOND_LOOK_FACTOR``
    times the requests when the look is inconclusive (more failures than a pass allows) and
    a second look can still pass (at most ``second_look_allows`` failures), within
    ``MAX_AUTO_S``; else end now."""
    target = plan.target
    longer = min(elapsed_s * SECOND_LOOK_FACTOR, plan.longest_s)
    allowed = second_look_allows(requests, round(requests * SECOND_LOOK_FACTOR), target)
    stay = SecondLook(requests=requests, failures=failures, went_on_at_most=allowed,
                      duration_s=None, line="")  # fmt: skip
    if plan.longest_s <= plan.duration_s or requests <= 0:
        return stay
    passes, fails = first_look(requests, target)
    seen = f"first look: {failures} failure{'s' if failures != 1 else ''} among {requests:,}"
    if failures <= passes:
        return stay
    if failures >= fails or failures > allowed:
        line = f"{seen}: a second look could not pass (it allows at most {allowed}); ending"
        return replace(stay, line=line)
    line = (
        f"{seen}: inconclusive; going on to {_duration_text(longer)} for a second look "
        f"(passes with at most {allowed} failures in all)"
    )
    return replace(stay, duration_s=longer, line=line)
