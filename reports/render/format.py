"""Number formatting every renderer shares, so the outputs agree digit for digit."""

from __future__ import annotations

from reports.model import Interval, LoadRates, TargetVerdict

__all__ = [
    "VERDICT_MARK",
    "duration",
    "interval",
    "load_line",
    "measured",
    "percent",
    "seconds",
    "target",
]

VERDICT_MARK = {
    "pass": "pass",
    "fail": "FAIL",
    "inconclusive": "inconclusive",
    "not_exercised": "not exercised",
}


def percent(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def duration(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def _digits(target: float | None) -> int:
    """Enough decimals to tell 99.99 % from 99.98 %."""
    if target is None or target >= 1:
        return 2
    text = f"{target * 100:.4f}".rstrip("0")
    return max(2, len(text.partition(".")[2]) + 1)


def measured(verdict: TargetVerdict) -> str:
    if verdict.unit == "ratio":
        return percent(verdict.value, _digits(verdict.target))
    if verdict.unit == "s":
        return seconds(verdict.value)
    if verdict.value is None:
        return "—"
    return "yes" if verdict.value else "no"


def target(verdict: TargetVerdict) -> str:
    if verdict.target is None:
        return "—"
    if verdict.unit == "ratio":
        return f"≥ {verdict.target * 100:g} %"
    if verdict.unit == "s":
        return f"≤ {seconds(verdict.target)}"
    return "holds"


def interval(verdict: TargetVerdict) -> str:
    bounds: Interval | None = verdict.interval
    if bounds is None:
        return ""
    if verdict.unit == "ratio":
        digits = _digits(verdict.target)
        low = "?" if bounds.low is None else f"{bounds.low * 100:.{digits}f}"
        high = "?" if bounds.high is None else f"{bounds.high * 100:.{digits}f}"
        return f"[{low}, {high}] %"
    low = "?" if bounds.low is None else seconds(bounds.low)
    high = "?" if bounds.high is None else seconds(bounds.high)
    return f"[{low}, {high}]"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}/s"


def load_line(load: LoadRates | None) -> str:
    """One line: the load offered, achieved, and the goodput ("" for old reports)."""
    if load is None:
        return ""
    offered = (
        f"offered {_rate(load.offered_rate)} (open model)"
        if load.model == "open"
        else f"closed model, {load.users if load.users is not None else '?'} users"
    )
    line = (
        f"load: {offered} · achieved {_rate(load.achieved_rate)} · goodput "
        f"{_rate(load.goodput)} ({percent(load.goodput_share, 1)} of requests met every target)"
    )
    if load.duration_auto and load.requests_needed is not None:
        line += f" · duration auto, sized for {load.requests_needed:,} requests"
    return line
