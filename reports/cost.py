"""Cost against reliability: a phase's units from ``stack.json`` times a prices file.

Pure functions over files and numbers (nothing here opens a socket or starts a process):

- ``load_prices(path)``: the prices file (``lab/prices.toml`` by default, the CLI passes it;
  a user's file overrides any subset of the keys);
- ``units_of(stack)``: replicas, load balancers, caches, databases, standbys, regions and
  providers counted from the stack's components (V4: 4 replicas, 2 Redis, 1 standby);
- ``phase_cost(stack, prices)``: the monthly cost, unit by unit;
- ``downtime_hours_per_year(availability)``: what an availability means in hours a year;
- ``break_even_hourly(cheaper, dearer)``: the hourly downtime cost at which the dearer phase
  pays for itself (the seed's "+$10,000 per hour" for V4).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

import msgspec

from rundir import Stack

__all__ = [
    "HOURS_PER_YEAR",
    "UNITS",
    "CostLine",
    "PhaseCost",
    "Prices",
    "PricesError",
    "break_even_hourly",
    "cost_table",
    "downtime_hours_per_year",
    "load_prices",
    "money",
    "phase_cost",
    "units_of",
]

HOURS_PER_YEAR = 24 * 365.0
UNITS: tuple[str, ...] = (
    "replica",
    "load_balancer",
    "cache",
    "database",
    "standby",
    "region",
    "provider",
)


class PricesError(ValueError):
    """The prices file cannot be read or has a bad value; one line naming the key."""


class Prices(msgspec.Struct, frozen=True, kw_only=True):
    currency: str = "USD"
    source: str = ""
    date: str = ""
    monthly: dict[str, float] = msgspec.field(default_factory=dict)
    path: str = ""


class CostLine(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    count: int
    unit_price: float
    monthly: float


class PhaseCost(msgspec.Struct, frozen=True, kw_only=True):
    phase: str
    currency: str
    monthly: float
    lines: list[CostLine]

    def count(self, unit: str) -> int:
        return next((line.count for line in self.lines if line.unit == unit), 0)


def load_prices(path: Path, *, base: Prices | None = None) -> Prices:
    """Read a prices file; keys it leaves out keep ``base``'s values."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PricesError(f"{path}: cannot read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise PricesError(f"{path}: not valid TOML ({error})") from None
    monthly = dict(base.monthly) if base else {}
    table = data.get("monthly", {})
    if not isinstance(table, dict):
        raise PricesError(f"{path}: [monthly] must be a table of unit = price")
    for key, value in table.items():
        if key not in UNITS:
            raise PricesError(f"{path}: monthly.{key}: not a unit (use {', '.join(UNITS)})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PricesError(f"{path}: monthly.{key}: {value!r} is not a price >= 0")
        monthly[key] = float(value)
    missing = [unit for unit in UNITS if unit not in monthly]
    if missing:
        raise PricesError(f"{path}: monthly: no price for {', '.join(missing)}")
    return Prices(
        currency=str(data.get("currency", base.currency if base else "USD")),
        source=str(data.get("source", base.source if base else "")),
        date=str(data.get("date", base.date if base else "")),
        monthly=monthly,
        path=str(path),
    )


def units_of(stack: Stack) -> dict[str, int]:
    """Each unit's count in the stack (the lab's own Prometheus, proxy, supervisor and load
    generator are instruments, not the architecture, and cost nothing here)."""
    regions = {part.region for part in stack.components if part.region}
    if not regions:
        configured = stack.phase_config.get("regions")
        regions = set(configured) if isinstance(configured, list) else {"a"}
    return {
        "replica": len(stack.of_kind("replica")),
        "load_balancer": len(stack.of_kind("haproxy")),
        "cache": len(stack.of_kind("redis")),
        "database": len(stack.of_kind("store")),
        "standby": len(stack.of_kind("standby-store")),
        "region": len(regions),
        "provider": len(stack.of_kind("provider")),
    }


def phase_cost(stack: Stack, prices: Prices) -> PhaseCost:
    """The stack's monthly cost, one line per unit it has."""
    lines = [
        CostLine(
            unit=unit,
            count=count,
            unit_price=prices.monthly[unit],
            monthly=count * prices.monthly[unit],
        )
        for unit, count in units_of(stack).items()
        if count
    ]
    return PhaseCost(
        phase=stack.phase,
        currency=prices.currency,
        monthly=sum(line.monthly for line in lines),
        lines=lines,
    )


def downtime_hours_per_year(availability: float | None) -> float | None:
    """Hours a year down at this availability (0.999 -> 8.76 h)."""
    if availability is None:
        return None
    return (1.0 - availability) * HOURS_PER_YEAR


def break_even_hourly(
    cheaper: tuple[float, float | None], dearer: tuple[float, float | None]
) -> float | None:
    """The hourly downtime cost above which the dearer phase pays for itself.

    Each side is ``(monthly cost, availability)``. The extra cost a year divided by the
    hours of downtime a year it saves; ``None`` when it saves none (or an availability is
    unknown): no downtime price makes it pay."""
    saved_low = downtime_hours_per_year(cheaper[1])
    saved_high = downtime_hours_per_year(dearer[1])
    if saved_low is None or saved_high is None:
        return None
    saved = saved_low - saved_high
    if saved <= 0:
        return None
    return max(0.0, (dearer[0] - cheaper[0]) * 12.0) / saved


def money(value: float | None, currency: str = "USD") -> str:
    """``1234.5`` -> ``$1,235`` (other currencies: ``1,235 EUR``)."""
    if value is None:
        return "—"
    return f"${value:,.0f}" if currency == "USD" else f"{value:,.0f} {currency}"


def cost_table(costs: Sequence[PhaseCost], availability: Mapping[str, float | None]) -> str:
    """Plain text: phase, monthly cost, availability, downtime a year, break-even to next."""
    rows = [("phase", "monthly", "availability", "downtime/year", "next pays off above")]
    for index, cost in enumerate(costs):
        avail = availability.get(cost.phase)
        hours = downtime_hours_per_year(avail)
        following = costs[index + 1] if index + 1 < len(costs) else None
        if following is None:
            beyond = "—"
        else:
            even = break_even_hourly(
                (cost.monthly, avail), (following.monthly, availability.get(following.phase))
            )
            beyond = "never (no downtime saved)"
            if even is not None:
                beyond = f"{money(even, cost.currency)}/h"
        rows.append(
            (
                cost.phase.upper(),
                money(cost.monthly, cost.currency),
                "—" if avail is None else f"{avail * 100:.3f} %",
                "—" if hours is None else f"{hours:.1f} h",
                beyond,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows)
