"""``--duration auto``'s two looks at availability: the exact second-look rule keeps the
chance that a service exactly at its target passes (at either look) within 2.5 %, where
judging the second look like a single one would not."""

from __future__ import annotations

import math

import pytest

from reports.model import Interval, Sli
from reports.stats import LOOK_ERROR, first_look, second_look_allows, second_look_p, wilson
from reports.verdict import availability_verdict
from rundir.events import Look

V3 = 0.999
FIRST = 3_838  # the requests auto plans for a clean 99.9 % at the first look
TOTAL = 4 * FIRST  # where the second look comes (SECOND_LOOK_FACTOR)


def _sli(valid: int, failures: int) -> Sli:
    low, high = wilson(valid - failures, valid)
    return Sli(requests=valid, good=valid - failures, failure=failures, excluded=0,
               availability=(valid - failures) / valid,
               availability_interval=Interval(low=low, high=high, method="wilson"),
               latency={}, ttft={})  # fmt: skip


def _pmf(k: int, n: int, q: float) -> float:
    return math.comb(n, k) * q**k * (1 - q) ** (n - k)


def _procedure_pass_rate(first: int, total: int, target: float, *, allows: int) -> float:
    """The two-look procedure's chance of a pass on a service exactly at ``target``, by
    enumerating both looks' failure counts (independently of ``second_look_p``'s sum): pass
    at the first look with at most c1 failures; with more but at most ``allows``, go on and
    pass with at most ``allows`` failures in all."""
    q = 1 - target
    passes, _ = first_look(first, target)
    chance = 0.0
    for early in range(allows + 1):
        for later in range(allows + 1):
            first_pass = early <= passes
            second_pass = passes < early <= allows and early + later <= allows
            if first_pass and later > 0:
                continue  # the run ended at the first look: count it once
            if first_pass or second_pass:
                weight = 1.0 if first_pass else _pmf(later, total - first, q)
                chance += _pmf(early, first, q) * weight
    return chance


def test_the_first_look_is_the_single_look_wilson_rule() -> None:
    passes, fails = first_look(FIRST, V3)
    assert passes == 0  # 3,838 clean requests clear 99.9 %, one failure does not
    assert wilson(FIRST, FIRST)[0] >= V3 > wilson(FIRST - 1, FIRST)[0]
    assert wilson(FIRST - fails, FIRST)[1] < V3 <= wilson(FIRST - fails + 1, FIRST)[1]


def test_the_second_look_allows_what_keeps_a_false_pass_within_2_5_percent() -> None:
    allows = second_look_allows(FIRST, TOTAL, V3)
    assert allows == 5
    assert second_look_p(FIRST, allows, TOTAL, allows, V3) <= LOOK_ERROR
    assert second_look_p(FIRST, allows + 1, TOTAL, allows + 1, V3) > LOOK_ERROR
    # the exact sum is the procedure's real chance of a pass at exactly the target
    exact = second_look_p(FIRST, allows, TOTAL, allows, V3)
    assert _procedure_pass_rate(FIRST, TOTAL, V3, allows=allows) == pytest.approx(exact, rel=1e-9)


def test_judging_the_second_look_as_a_single_look_would_pass_too_often() -> None:
    # one look's Wilson bound still clears 99.9 % with 7 failures among 15,352...
    single = max(f for f in range(40) if wilson(TOTAL - f, TOTAL)[0] >= V3)
    assert single > second_look_allows(FIRST, TOTAL, V3)
    # ...and looking twice that way passes a service exactly at its target too often
    assert _procedure_pass_rate(FIRST, TOTAL, V3, allows=single) > LOOK_ERROR


@pytest.mark.parametrize(("target", "first"), [(0.95, 73), (0.995, 765), (0.9999, 38_411)])
def test_every_phase_target_keeps_the_false_pass_within_2_5_percent(
    target: float, first: int
) -> None:
    assert wilson(first, first)[0] >= target > wilson(first - 1, first - 1)[0]  # auto's size
    allows = second_look_allows(first, 4 * first, target)
    assert allows >= 1
    assert _procedure_pass_rate(first, 4 * first, target, allows=allows) <= LOOK_ERROR


def _look(failures: int) -> Look:
    return Look(requests=FIRST, failures=failures, went_on_at_most=5, duration_s=1_024.0)


def test_a_run_that_went_on_passes_with_the_failures_the_second_look_allows() -> None:
    verdict = availability_verdict(_sli(TOTAL, 5), V3, look=_look(2))
    assert verdict.verdict == "pass"
    assert "two looks (auto): 2 failures among 3,838 at the first, 5 among 15,352" in verdict.reason
    assert "probability 2.31 %" in verdict.reason


def test_one_failure_more_is_inconclusive_though_one_look_s_interval_clears_the_target() -> None:
    sli = _sli(TOTAL, 6)
    assert sli.availability_interval is not None
    assert sli.availability_interval.low is not None
    assert sli.availability_interval.low >= V3
    assert availability_verdict(sli, V3).verdict == "pass"  # a run that never went on
    verdict = availability_verdict(sli, V3, look=_look(2))
    assert verdict.verdict == "inconclusive"
    assert "the second look passes with at most 5" in verdict.reason


def test_a_second_look_whose_interval_misses_the_target_fails() -> None:
    verdict = availability_verdict(_sli(TOTAL, 40), V3, look=_look(3))
    assert verdict.verdict == "fail"
