"""The cost side of the tradeoff: units counted from stack.json, prices, break-even."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.cost import (
    PricesError,
    break_even_hourly,
    downtime_hours_per_year,
    load_prices,
    phase_cost,
    units_of,
)
from tests.fixtures.phase_stacks import phase_stack

ROOT = Path(__file__).resolve().parents[3]
PRICES = ROOT / "lab" / "prices.toml"


def test_v4_counts_four_replicas_two_caches_a_standby_and_two_regions() -> None:
    """V4's units come from its components: 2 regions x 2 replicas, Redis per region."""
    units = units_of(phase_stack("v4"))
    assert units == {
        "replica": 4,
        "load_balancer": 1,
        "cache": 2,
        "database": 1,
        "standby": 1,
        "region": 2,
        "provider": 4,
    }


def test_v1_counts_one_of_each_and_no_load_balancer() -> None:
    """V1: one replica is its own front door; one region from the phase config."""
    units = units_of(phase_stack("v1"))
    assert units == {
        "replica": 1,
        "load_balancer": 0,
        "cache": 1,
        "database": 1,
        "standby": 0,
        "region": 1,
        "provider": 1,
    }


def test_each_phase_costs_more_than_the_one_before() -> None:
    """With the shipped prices, V1 < V2 < V3 < V4 a month."""
    prices = load_prices(PRICES)
    monthly = [phase_cost(phase_stack(p), prices).monthly for p in ("v1", "v2", "v3", "v4")]
    assert monthly == sorted(monthly)
    assert len(set(monthly)) == 4


def test_phase_cost_is_units_times_prices() -> None:
    """The monthly total is the sum of count x unit price, line by line."""
    prices = load_prices(PRICES)
    cost = phase_cost(phase_stack("v4"), prices)
    assert cost.monthly == pytest.approx(
        sum(prices.monthly[u] * n for u, n in units_of(phase_stack("v4")).items())
    )
    assert cost.count("replica") == 4


def test_a_user_file_overrides_some_prices_and_keeps_the_rest(tmp_path: Path) -> None:
    """--prices FILE may set one key; the others keep the shipped values."""
    mine = tmp_path / "mine.toml"
    mine.write_text('currency = "EUR"\n[monthly]\nreplica = 10\n')
    prices = load_prices(mine, base=load_prices(PRICES))
    assert prices.monthly["replica"] == 10.0
    assert prices.monthly["database"] == load_prices(PRICES).monthly["database"]
    assert prices.currency == "EUR"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[monthly]\nreplicas = 1\n", "not a unit"),
        ("[monthly]\nreplica = -1\n", "price >= 0"),
        ("[monthly\n", "not valid TOML"),
        ("[monthly]\nreplica = 1\n", "no price for"),
    ],
)
def test_a_bad_prices_file_is_one_line(tmp_path: Path, text: str, fragment: str) -> None:
    """A typo, a negative price, bad TOML or (without a base) a missing unit: one line."""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PricesError, match=fragment) as caught:
        load_prices(path)
    assert "\n" not in str(caught.value)


def test_downtime_per_year_of_three_nines_is_8_76_hours() -> None:
    """99.9 % is 8.76 hours down a year; 99.99 % is 52.6 minutes."""
    assert downtime_hours_per_year(0.999) == pytest.approx(8.76)
    assert downtime_hours_per_year(0.9999) == pytest.approx(0.876)
    assert downtime_hours_per_year(None) is None


def test_break_even_is_extra_cost_a_year_over_hours_saved() -> None:
    """$1,000 more a month that saves 8 h a year pays off above $1,500 an hour down."""
    cheaper = (1000.0, 1 - 10 / 8760)
    dearer = (2000.0, 1 - 2 / 8760)
    assert break_even_hourly(cheaper, dearer) == pytest.approx(12_000 / 8)


def test_break_even_is_none_when_no_downtime_is_saved() -> None:
    """A dearer phase measured no better never pays for itself."""
    assert break_even_hourly((1000.0, 0.999), (2000.0, 0.999)) is None
    assert break_even_hourly((1000.0, 0.9999), (2000.0, 0.999)) is None
    assert break_even_hourly((1000.0, None), (2000.0, 0.999)) is None
