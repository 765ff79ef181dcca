"""SLA reports: a run directory in, a verdict with numbers out.

``render_all`` writes every format and returns the exit code (see ``reports.api``);
``build_report`` and ``load_run`` are the pure steps under it; ``collect.save`` is what
the runner calls at the end of a run to save Prometheus's data into the run directory.
"""

from __future__ import annotations

from reports.api import ReportResult, render_all
from reports.build import build_report
from reports.model import Report
from reports.rundata import load_run

__all__ = ["Report", "ReportResult", "build_report", "load_run", "render_all"]
