"""The single-point-of-failure map of one phase: one short run per component taken away.

``chaoslab spof`` leaves a campaign directory::

    OUT/campaign.json         what was probed: the phase, and per probe its component, role,
                              action and run directory (``SpofPlan``)
    OUT/<probe>/              one run directory per probe (a normal run: report.html inside)
    OUT/spof.{md,html,json}   this module's output

``build_spof(out)`` reads those files only. A component is a single point of failure when
losing it drops availability inside its fault window below ``SPOF_BELOW`` (50 %): the phase
is down, not degraded. Beside each row, what the seed's phase card says about that part.
"""

from __future__ import annotations

import html
from pathlib import Path

import msgspec

from reports.build import build_report
from reports.cost import PhaseCost, Prices, downtime_hours_per_year, money, phase_cost
from reports.render.format import percent
from reports.rundata import load_run
from rundir import RunDirError, read_stack

__all__ = [
    "CAMPAIGN_FILE",
    "SPOF_BELOW",
    "PlannedProbe",
    "SpofMap",
    "SpofPlan",
    "SpofRow",
    "build_spof",
    "render_spof_html",
    "render_spof_md",
    "render_spof_text",
    "seed_card",
]

CAMPAIGN_FILE = "campaign.json"
SPOF_BELOW = 0.5

# What the seed's phase cards say about each kind of part (docs: the seed's "Pontos de
# Falha" and each phase's "what changed"); a phase of your own has no card.
_SEED: dict[tuple[str, str], str] = {
    ("v1", "store"): "seed: one database in one zone; if it falls, the API is down (SPOF)",
    ("v1", "cache"): "seed: cache without backup, loses everything on restart",
    ("v1", "provider"): "seed: one AI provider; if OpenAI is out, the API stops (SPOF)",
    ("v1", "replica"): "seed: 1 simple server",
    ("v2", "replica"): "seed: several servers that scale themselves",
    ("v2", "store"): "seed: database in several zones (the lab runs one PostgreSQL)",
    ("v2", "cache"): "seed: cache with backup",
    ("v2", "provider"): "seed: 2 AI providers (OpenAI + Claude)",
    ("v3", "replica"): "seed: Kubernetes, a system that heals itself",
    ("v3", "provider"): "seed: if one AI provider fails, automatic switch",
    ("v3", "store"): "seed: data saved in several places (the lab runs one PostgreSQL)",
    ("v4", "region"): "seed: if a whole region falls, the other takes over",
    ("v4", "provider"): "seed: 4 AI providers spread globally",
    ("v4", "store"): "seed: database replicated across regions (the lab: a streaming standby)",
    ("v4", "load-balancer"): "seed: global front door; the lab has ONE HAProxy for both regions",
}


def seed_card(phase: str, kind: str) -> str:
    return _SEED.get((phase, kind), "")


class PlannedProbe(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: str
    target: str
    action: str
    components: list[str]
    run_dir: str
    """Relative to the campaign directory."""
    ran: bool = False
    error: str = ""


class SpofPlan(msgspec.Struct, kw_only=True):
    phase: str
    stack_dir: str
    duration_s: float
    rate: float | None
    probes: list[PlannedProbe]
    not_run: list[str] = msgspec.field(default_factory=list)
    """Probes left out to keep within the time bound (one line each)."""


class SpofRow(msgspec.Struct, frozen=True, kw_only=True):
    component: str
    kind: str
    target: str
    action: str
    run_dir: str
    window_availability: float | None
    window_requests: int
    availability: float | None
    verdict: str
    """The phase's verdict on the whole probe run: met, breached, inconclusive, invalid."""
    spof: bool | None
    """None: not judged (the run failed or saw no request in the window)."""
    seed: str
    note: str = ""


class SpofMap(msgspec.Struct, frozen=True, kw_only=True):
    phase: str
    phase_title: str
    threshold: float
    availability_target: float
    rows: list[SpofRow]
    spofs: list[str]
    not_run: list[str]
    cost: PhaseCost | None
    downtime_hours_per_year_at_target: float | None


def _row(out: Path, probe: PlannedProbe, phase: str) -> SpofRow:
    seed = seed_card(phase, probe.kind)
    base = {
        "component": probe.name,
        "kind": probe.kind,
        "target": probe.target,
        "action": probe.action,
        "run_dir": str(out / probe.run_dir),
        "seed": seed,
    }

    def invalid(note: str) -> SpofRow:
        return SpofRow(**base, window_availability=None, window_requests=0, availability=None,
                       verdict="invalid", spof=None, note=note)  # fmt: skip

    if probe.error or not probe.ran:
        return invalid(probe.error or "not run")
    try:
        report = build_report(load_run(out / probe.run_dir))
    except RunDirError as error:
        return invalid(str(error))
    good = sum(w.sli.good for w in report.windows)
    valid = sum(w.sli.good + w.sli.failure for w in report.windows)
    window = good / valid if valid else None
    note = "" if valid else "no request was sent inside the fault window"
    if report.status == "invalid" and report.invalid_reasons:
        note = report.invalid_reasons[0]
    return SpofRow(
        **base,
        window_availability=window,
        window_requests=valid,
        availability=report.sli.availability,
        verdict=report.status,
        spof=None if window is None else window < SPOF_BELOW,
        note=note,
    )


def build_spof(out: Path, *, prices: Prices | None = None) -> SpofMap:
    """The map from a campaign directory (``RunDirError`` when it is not one)."""
    path = out / CAMPAIGN_FILE
    try:
        plan = msgspec.json.decode(path.read_bytes(), type=SpofPlan)
    except FileNotFoundError:
        raise RunDirError(f"{path}: not a spof campaign; make one with `chaoslab spof`") from None
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise RunDirError(f"{path}: {error}") from None
    stack = read_stack(out / plan.probes[0].run_dir) if plan.probes else None
    rows = [_row(out, probe, plan.phase) for probe in plan.probes]
    target = stack.targets.availability if stack else 0.0
    return SpofMap(
        phase=plan.phase,
        phase_title=stack.phase_title if stack else plan.phase,
        threshold=SPOF_BELOW,
        availability_target=target,
        rows=rows,
        spofs=[row.component for row in rows if row.spof],
        not_run=plan.not_run,
        cost=phase_cost(stack, prices) if stack and prices else None,
        downtime_hours_per_year_at_target=downtime_hours_per_year(target) if stack else None,
    )


_COLUMNS = (
    "component",
    "lost by",
    "availability in window",
    "requests",
    "verdict",
    "SPOF",
    "the seed says",
)


def _cells(row: SpofRow) -> tuple[str, ...]:
    spof = "?" if row.spof is None else ("SPOF" if row.spof else "no")
    return (
        row.component,
        f"{row.action} {row.target}",
        percent(row.window_availability),
        str(row.window_requests),
        row.verdict,
        spof,
        row.seed,
    )


def _summary(spof: SpofMap) -> list[str]:
    lines = [
        f"{spof.phase.upper()} single points of failure (availability in the fault window "
        f"below {spof.threshold:.0%}): {', '.join(spof.spofs) or 'none'}"
    ]
    if spof.cost is not None:
        hours = spof.downtime_hours_per_year_at_target
        lines.append(
            f"cost: {money(spof.cost.monthly, spof.cost.currency)}/month; its target "
            f"{spof.availability_target:.2%} allows {hours:.1f} h down a year"
        )
    lines += [f"not run (time bound): {name}" for name in spof.not_run]
    lines += [f"{row.component}: {row.note}" for row in spof.rows if row.note]
    return lines


def render_spof_text(spof: SpofMap) -> str:
    table = [_COLUMNS, *(_cells(r) for r in spof.rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    body = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(line)).rstrip() for line in table]
    return "\n".join([*body, "", *_summary(spof)])


def render_spof_md(spof: SpofMap) -> str:
    out = [f"## {spof.phase_title}: single points of failure", ""]
    out += ["| " + " | ".join(_COLUMNS) + " | run |", "|" + " --- |" * (len(_COLUMNS) + 1)]
    for row in spof.rows:
        cells = [c.replace("|", "\\|") for c in _cells(row)]
        out.append("| " + " | ".join(cells) + f" | [report]({row.run_dir}/report.html) |")
    return "\n".join([*out, "", *(f"- {line}" for line in _summary(spof))]) + "\n"


def render_spof_html(spof: SpofMap) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in (*_COLUMNS, "run"))
    body = ""
    for row in spof.rows:
        style = ' style="background:#ffebe9"' if row.spof else ""
        cells = "".join(f"<td>{html.escape(c)}</td>" for c in _cells(row))
        link = f'<td><a href="{html.escape(row.run_dir)}/report.html">report</a></td>'
        body += f"<tr{style}>{cells}{link}</tr>"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in _summary(spof))
    title = html.escape(f"{spof.phase_title}: single points of failure")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>body{{font:14px/1.45 system-ui,sans-serif;"
        "max-width:1100px;margin:0 auto;padding:16px}table{border-collapse:collapse;width:100%}"
        "th,td{padding:5px 8px;text-align:left;border-bottom:1px solid #d0d7de}"
        f"th{{background:#f6f8fa}}</style></head><body><h1>{title}</h1>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"<ul>{items}</ul></body></html>\n"
    )
