"""The SPOF map from a campaign directory: availability in each probe's window decides."""

from __future__ import annotations

from pathlib import Path

import msgspec

from reports.cost import load_prices
from reports.spof import (
    CAMPAIGN_FILE,
    PlannedProbe,
    SpofPlan,
    build_spof,
    render_spof_html,
    render_spof_md,
    render_spof_text,
)
from rundir import Targets
from tests.fixtures.phase_stacks import phase_stack
from tests.unit.reports.builder import RunBuilder

V1 = Targets(availability=0.95, latency_p95_s=5.0, ttft_p95_s=2.0)
PRICES = Path(__file__).resolve().parents[3] / "lab" / "prices.toml"


def _probe_run(root: Path, name: str, *, fails_in_window: float) -> None:
    """A 40 s run losing a component from 10 s to 30 s; ``fails_in_window`` of its requests
    sent in the window fail (every n-th)."""
    every = round(1 / fails_in_window) if fails_in_window else 0
    counter = iter(range(10_000))

    def fails(t: float) -> bool:
        return bool(every) and 10 <= t < 30 and next(counter) % every == 0

    builder = RunBuilder(root / name, phase="v1", targets=V1, duration=40)
    builder.components = phase_stack("v1").components
    builder.requests(rate=10, fails=fails).fault(10, 30).write()


def _campaign(root: Path, *, not_run: bool = False) -> Path:
    _probe_run(root, "store", fails_in_window=1.0)
    _probe_run(root, "replica-1", fails_in_window=0.25)
    probes = [
        PlannedProbe(name="store (postgres)", kind="store", target="store", action="kill",
                     components=["postgres"], run_dir="store", ran=True),
        PlannedProbe(name="replica-1", kind="replica", target="replica:1", action="kill",
                     components=["replica-1"], run_dir="replica-1", ran=True),
    ]  # fmt: skip
    plan = SpofPlan(phase="v1", stack_dir="x", duration_s=40, rate=10, probes=probes)
    if not_run:
        cache = PlannedProbe(name="cache", kind="cache", target="cache", action="kill",
                             components=["redis"], run_dir="cache")  # fmt: skip
        plan.probes.append(cache)
        plan.not_run.append("cache (kill cache)")
    (root / CAMPAIGN_FILE).write_bytes(msgspec.json.encode(plan))
    return root


def test_a_component_whose_loss_drops_the_window_below_half_is_a_spof(tmp_path: Path) -> None:
    """All failing in the window: SPOF; three in four good: not one."""
    spof = build_spof(_campaign(tmp_path))
    rows = {row.component: row for row in spof.rows}
    assert rows["store (postgres)"].window_availability == 0.0
    assert rows["store (postgres)"].spof is True
    assert rows["replica-1"].window_availability is not None
    assert 0.7 < rows["replica-1"].window_availability < 0.8
    assert rows["replica-1"].spof is False
    assert spof.spofs == ["store (postgres)"]


def test_each_row_carries_the_seed_card_and_the_verdict(tmp_path: Path) -> None:
    """The seed's V1 card names the database; the whole-run verdict is the phase's."""
    spof = build_spof(_campaign(tmp_path))
    store = spof.rows[0]
    assert "database" in store.seed
    assert store.verdict == "breached"


def test_the_renderings_name_the_spofs_the_cost_and_probes_not_run(tmp_path: Path) -> None:
    """Terminal, Markdown and HTML list the SPOFs, the monthly cost and what was not run."""
    spof = build_spof(_campaign(tmp_path, not_run=True), prices=load_prices(PRICES))
    text = render_spof_text(spof)
    assert "single points of failure (availability in the fault window below 50%): " \
        "store (postgres)" in text  # fmt: skip
    assert "not run (time bound): cache (kill cache)" in text
    assert "cost: $1,225/month" in text
    assert "report.html" in render_spof_md(spof)
    assert "#ffebe9" in render_spof_html(spof)
    assert spof.rows[-1].spof is None
