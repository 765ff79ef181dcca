"""Capacity from constructed steps: the knee is [last passing, first breached]."""

from __future__ import annotations

from pathlib import Path

import msgspec

from reports.capacity import (
    PLAN_FILE,
    CapacityPlan,
    PlannedStep,
    build_capacity,
    render_capacity_html,
    render_capacity_md,
    render_capacity_text,
)
from rundir import Targets
from tests.fixtures.phase_stacks import phase_stack
from tests.unit.reports.builder import RunBuilder

V1 = Targets(availability=0.95, latency_p95_s=5.0, ttft_p95_s=2.0)


def _step(root: Path, name: str, *, rate: float, latency: float, fails: bool = False) -> None:
    builder = RunBuilder(root / name, phase="v1", targets=V1, duration=30)
    builder.components = phase_stack("v1").components
    builder.requests(rate=rate, latency=lambda _t: latency, fails=lambda t: fails and t > 5)
    builder.write()


def _plan(root: Path, steps: list[tuple[float, float, bool]], stopped: str = "") -> Path:
    plan = CapacityPlan(phase="v1", step_s=30, budget_s=540, stopped=stopped)
    for number, (rate, latency, fails) in enumerate(steps, start=1):
        _step(root, f"step-{number:02d}", rate=rate, latency=latency, fails=fails)
        plan.steps.append(PlannedStep(rate=rate, run_dir=f"step-{number:02d}"))
    (root / PLAN_FILE).write_bytes(msgspec.json.encode(plan))
    return root


def test_the_knee_is_the_last_passing_and_the_first_breached_step(tmp_path: Path) -> None:
    """4 and 8 req/s pass, 16 breaches the p95 target: knee [8, 16], latency broke first."""
    result = build_capacity(_plan(tmp_path, [(4, 0.2, False), (8, 0.4, False), (16, 7.0, False)]))
    assert (result.last_pass, result.first_breach) == (8, 16)
    assert result.conclusion.startswith("knee between 8 and 16 requests/s")
    assert len(result.broke_first) == 1
    assert "p95" in result.broke_first[0]
    assert "7.00 s" in result.broke_first[0]


def test_a_refining_step_between_narrows_the_knee(tmp_path: Path) -> None:
    """Steps run out of order (the midpoint last) still give [11.3, 16]."""
    result = build_capacity(
        _plan(tmp_path, [(8, 0.4, False), (16, 7.0, False), (11.3, 0.9, False)])
    )
    assert (result.last_pass, result.first_breach) == (11.3, 16)
    assert [s.rate for s in result.steps] == [8, 11.3, 16]


def test_a_search_the_bound_ends_says_so_with_the_partial_curve(tmp_path: Path) -> None:
    """No breach within the time bound: one line saying so, the passing steps kept."""
    result = build_capacity(
        _plan(
            tmp_path,
            [(4, 0.2, False), (8, 0.3, False)],
            stopped="the time bound (9 min) came before a breach",
        )
    )
    assert result.first_breach is None
    assert result.conclusion == (
        "not broken within the bound: passed up to 8 requests/s; the time bound (9 min) "
        "came before a breach"
    )


def test_the_outputs_carry_the_seed_band_the_why_and_the_plot(tmp_path: Path) -> None:
    """Terminal, Markdown and HTML: the knee, what broke, the seed's band, two cores."""
    result = build_capacity(_plan(tmp_path, [(4, 0.2, False), (8, 0.2, True)]))
    text = render_capacity_text([result])
    assert "broke first: " in text
    assert "< 100 concurrent users" in text
    assert "two cores" in text
    assert "report.html" in render_capacity_md([result])
    page = render_capacity_html([result])
    assert "<svg" in page
    assert "offered requests/s" in page
