"""``burn_rate``: the SRE workbook's two-window burn-rate rule scaled from 30 days to the run
(windows run/12 and run/144, never under five scrape intervals), on the client's requests."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

from reports.checks.common import judge, not_judged
from reports.model import BurnRate, LlmCheck
from rundir import RequestRecord

__all__ = ["burn_check", "burn_rate"]

_MIN_SHORT_REQUESTS = 10
_SCRAPES_PER_WINDOW = 5


def burn_rate(
    records: Sequence[RequestRecord],
    *,
    target: float,
    limit: float,
    start: float,
    end: float,
    step: float,
) -> BurnRate:
    """The workbook's two-window rule scaled from 30 days to the run: windows of run/12 and
    run/144, never shorter than five scrape intervals; evaluated every ``step`` seconds on the
    client's valid requests. A long window counts only with enough requests that a single
    failure cannot make it burn past ``limit``; the short one needs ten."""
    duration = max(end - start, 0.0)
    long_s = max(duration / 12, _SCRAPES_PER_WINDOW * step)
    short_s = max(duration / 144, _SCRAPES_PER_WINDOW * step)
    budget = max(1.0 - target, 1e-12)
    min_requests = max(10, math.floor(1.0 / (budget * limit)) + 1)
    valid = sorted((r.t, r.outcome == "failure") for r in records if r.outcome != "excluded")
    times = [t for t, _ in valid]
    failures = [0, *itertools.accumulate(int(f) for _, f in valid)]

    def burn(lo: float, hi: float, least: int) -> float | None:
        i, j = bisect.bisect_left(times, lo), bisect.bisect_left(times, hi)
        n = j - i
        return None if n < least else (failures[j] - failures[i]) / n / budget

    evaluations, peak, first = 0, None, None
    steps = int((end - (start + long_s)) / step) if step > 0 else 0
    for k in range(max(steps, 0) + 1):
        now = start + long_s + k * step
        if now > end:
            break
        slow = burn(now - long_s, now, min_requests)
        fast = burn(now - short_s, now, _MIN_SHORT_REQUESTS)
        if slow is None or fast is None:
            continue
        evaluations += 1
        both = min(slow, fast)
        peak = both if peak is None else max(peak, both)
        if first is None and both > limit:
            first = now - start
    return BurnRate(
        threshold=limit,
        long_window_s=long_s,
        short_window_s=short_s,
        min_requests=min_requests,
        evaluations=evaluations,
        peak=peak,
        first_alarm_s=first,
    )


def burn_check(burn: BurnRate | None) -> LlmCheck:
    name = "burn_rate"
    if burn is None:
        return not_judged(
            name,
            "error-budget burn rate",
            None,
            "not_applicable",
            "the phase sets no checks.burn_rate",
        )
    title = (
        f"error budget never burns > {burn.threshold:g}x in both the "
        f"{burn.long_window_s:.0f} s and {burn.short_window_s:.0f} s windows"
    )
    if burn.evaluations == 0:
        return not_judged(
            name,
            title,
            None,
            "not_exercised",
            f"no {burn.long_window_s:.0f} s window held {burn.min_requests} requests",
            threshold=burn.threshold,
        )
    alarmed = burn.first_alarm_s is not None
    reason = "" if not alarmed else f"both windows burned past it at +{burn.first_alarm_s:.0f} s"
    return judge(
        name, title, None, value=burn.peak, limit=burn.threshold, passed=not alarmed, reason=reason
    )
