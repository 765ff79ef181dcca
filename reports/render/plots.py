"""The report's plots as inline SVG strings (matplotlib, no pyplot, no display).

Every plot over time shades each fault window once; each shaded region carries the SVG id
``fault-<plot>-<n>`` so a browser test can count them. Text stays text in the SVG
(``svg.fonttype: none``) so it prints sharp and stays searchable.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.model import ProviderView, Report, WindowSli

__all__ = ["plot_all"]

_FAULT_COLOUR = "#d62728"
_STYLE: Any = {  # rcParams; typed Any because matplotlib types keys as Literals
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _plain(text: str) -> str:
    """Text from a run's files, shown as written: matplotlib would parse ``$...$`` as
    math (and raise on an unknown command)."""
    return text.replace("$", r"\$")


def _svg(figure: Figure, name: str) -> str:
    buffer = io.StringIO()
    style: Any = {**_STYLE, "svg.hashsalt": f"chaoslab-{name}"}
    with mpl.rc_context(style):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and doctype: inline SVG
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    return re.sub(r"<svg ", f'<svg role="img" aria-label="{name} plot" ', text, count=1)


def _figure(height: float = 2.6) -> tuple[Figure, Axes]:
    with mpl.rc_context(_STYLE):
        figure = Figure(figsize=(8.0, height), layout="constrained")
        axes = figure.add_subplot()
    return figure, axes


def _shade(axes: Axes, windows: Sequence[WindowSli], plot: str) -> None:
    for number, window in enumerate(windows, start=1):
        span = axes.axvspan(window.start, window.end, color=_FAULT_COLOUR, alpha=0.12, lw=0)
        span.set_gid(f"fault-{plot}-{number}")
        axes.annotate(
            _plain(window.id),
            xy=(window.start, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            color=_FAULT_COLOUR,
            va="top",
        )


def availability_plot(report: Report) -> str:
    timeline = report.timeline
    figure, axes = _figure()
    with mpl.rc_context(_STYLE):
        points = [(t, a * 100) for t, a in zip(timeline.t, timeline.availability, strict=True)
                  if a is not None]  # fmt: skip
        if points:
            xs, ys = zip(*points, strict=True)
            axes.step(xs, ys, where="post", color="#1f77b4", lw=1.2, label="availability")
        axes.axhline(report.targets["availability"] * 100, color="#555", ls="--", lw=0.8,
                     label=f"target {report.targets['availability'] * 100:g} %")  # fmt: skip
        _shade(axes, report.windows, "availability")
        axes.set_xlim(0, max(report.run.duration_s, timeline.bin_s))
        axes.set_ylabel(f"availability % per {timeline.bin_s:g} s")
        axes.set_xlabel("seconds since the run's start")
        axes.legend(loc="lower left", fontsize=7)
    return _svg(figure, "availability")


def latency_plot(report: Report) -> str:
    timeline = report.timeline
    figure, axes = _figure()
    with mpl.rc_context(_STYLE):
        for series, label, colour in ((timeline.p50, "p50", "#2ca02c"),
                                      (timeline.p95, "p95", "#ff7f0e")):  # fmt: skip
            points = [(t, v) for t, v in zip(timeline.t, series, strict=True) if v is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                axes.step(xs, ys, where="post", color=colour, lw=1.2, label=label)
        axes.axhline(report.targets["latency_p95_s"], color="#555", ls="--", lw=0.8,
                     label=f"p95 target {report.targets['latency_p95_s']:g} s")  # fmt: skip
        _shade(axes, report.windows, "latency")
        axes.set_xlim(0, max(report.run.duration_s, timeline.bin_s))
        axes.set_ylabel("latency, s (good requests)")
        axes.set_xlabel("seconds since the run's start")
        axes.legend(loc="upper left", fontsize=7)
    return _svg(figure, "latency")


def distribution_plot(report: Report) -> str:
    histogram = report.latency_histogram
    figure, axes = _figure()
    with mpl.rc_context(_STYLE):
        if histogram.counts:
            axes.stairs(histogram.counts, histogram.edges, fill=True, color="#1f77b4", alpha=0.6)
            axes.set_xscale("log")
        axes.axvline(report.targets["latency_p95_s"], color="#555", ls="--", lw=0.8,
                     label=f"p95 target {report.targets['latency_p95_s']:g} s")  # fmt: skip
        for label, value in report.sli.latency.items():
            if value is not None:
                axes.axvline(value, color="#ff7f0e", lw=0.8, alpha=0.8)
                axes.annotate(label, xy=(value, 0.95), xycoords=("data", "axes fraction"),
                              fontsize=7, color="#ff7f0e")  # fmt: skip
        axes.set_xlabel("latency, s (log scale)")
        axes.set_ylabel("good requests")
        axes.legend(loc="upper right", fontsize=7)
    return _svg(figure, "distribution")


def providers_plot(report: Report) -> str:
    providers: Sequence[ProviderView] = report.providers
    figure = Figure(figsize=(8.0, 3.2), layout="constrained")
    with mpl.rc_context(_STYLE):
        bars, states = figure.subplots(1, 2, width_ratios=(1, 1.4))
        names = [_plain(p.provider) for p in providers]
        kinds = (("attempts", "#1f77b4"), ("errors", "#d62728"), ("retries", "#ff7f0e"),
                 ("failovers_from", "#9467bd"))  # fmt: skip
        width = 0.8 / len(kinds)
        for index, (kind, colour) in enumerate(kinds):
            values = [float(getattr(p, kind)) for p in providers]
            positions = [i + index * width for i in range(len(names))]
            bars.bar(positions, values, width=width, color=colour, label=kind.replace("_", " "))
        bars.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names)
        bars.set_title("traffic per provider", fontsize=9)
        bars.legend(fontsize=7)
        t0 = report.run.t0
        for provider in providers:
            if provider.breaker_timeline:
                xs = [t - t0 for t, _ in provider.breaker_timeline]
                ys = [v for _, v in provider.breaker_timeline]
                states.step(xs, ys, where="post", lw=1.2, label=_plain(provider.provider))
        _shade(states, report.windows, "breakers")
        states.set_yticks([0, 1, 2], ["closed", "half-open", "open"])
        states.set_xlim(0, max(report.run.duration_s, 1.0))
        states.set_title("breaker state (worst replica)", fontsize=9)
        states.set_xlabel("seconds since the run's start")
        if any(p.breaker_timeline for p in providers):
            states.legend(fontsize=7)
    return _svg(figure, "providers")


def plot_all(report: Report) -> dict[str, str]:
    """Plot name -> inline SVG. The provider plot only when there is provider data."""
    plots = {
        "availability": availability_plot(report),
        "latency": latency_plot(report),
        "distribution": distribution_plot(report),
    }
    if report.providers:
        plots["providers"] = providers_plot(report)
    return plots
