"""Offered vs achieved rate and goodput, from constructed runs, in every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from reports import render_all
from reports.load import load_rates
from rundir import RequestRecord
from rundir.events import RunPlan, RunStart
from tests.unit.reports.builder import T0, RunBuilder

TARGETS = {"availability": 0.999, "latency_p95_s": 3.0, "ttft_p95_s": 1.5}


def _record(
    reason: str = "ok", *, latency: float = 0.2, ttft: float | None = None
) -> RequestRecord:
    good = reason == "ok"
    return RequestRecord(
        t=T0, user="stream" if ttft is not None else "chat", name="open:chat",
        outcome="good" if good else "failure", reason=reason, status=200 if good else 0,
        latency_s=latency, ttft_s=ttft, stream=ttft is not None,
    )  # fmt: skip


def test_goodput_counts_good_answers_within_every_limit() -> None:
    """Goodput: good, under the latency limit, and a stream's first token under the TTFT
    limit; achieved leaves out arrivals never sent (dropped at the cap, late)."""
    records = [
        _record(),  # counts
        _record(ttft=0.5),  # a stream within both limits: counts
        _record(latency=4.0),  # too slow
        _record(ttft=2.0),  # first token too late
        _record("http_503"),  # failed
        _record("dropped_at_cap"),  # never sent
        _record("late"),  # never sent
    ]
    info = RunStart(arrival_rate=4.0, plan=RunPlan(auto=True, requests_needed=3838))
    rates = load_rates(records, duration_s=2.0, info=info, targets=TARGETS)
    assert rates.model == "open"
    assert rates.offered_rate == 4.0
    assert rates.achieved_rate == 5 / 2.0
    assert rates.good_within_targets == 2
    assert rates.goodput == 1.0
    assert rates.goodput_share == 2 / 7
    assert rates.duration_auto
    assert rates.requests_needed == 3838


def test_closed_users_have_no_offered_rate() -> None:
    """Closed users: no offered rate, the users named."""
    rates = load_rates([_record()], duration_s=1.0, info=RunStart(users=10), targets=TARGETS)
    assert (rates.model, rates.offered_rate, rates.users) == ("closed", None, 10)


def test_every_format_shows_offered_achieved_and_goodput(tmp_path: Path) -> None:
    """Terminal, Markdown, HTML, JSON and JUnit all carry the load line's numbers."""
    builder = RunBuilder(tmp_path).requests(rate=20, latency=lambda t: 4.0 if t < 6 else 0.2)
    builder.info["arrival_rate"] = 20.0
    result = render_all(builder.write())
    line = "load: offered 20.0/s (open model) · achieved 20.0/s · goodput 18.0/s"
    assert line in result.text
    assert line in result.paths["md"].read_text()
    assert line in result.paths["html"].read_text()
    load = json.loads(result.paths["json"].read_text())["load"]
    assert (load["offered_rate"], load["achieved_rate"], load["goodput"]) == (20.0, 20.0, 18.0)
    suite = ET.parse(result.paths["xml"]).getroot().find("testsuite")  # noqa: S314 - our own file
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["load.offered_rate"] == "20.000"
    assert properties["load.goodput"] == "18.000"
