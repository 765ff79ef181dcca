"""Renderers: a ``Report`` in, text out. Each is a pure function of the report."""

from __future__ import annotations

from collections.abc import Callable

from reports.model import Report
from reports.render.html import render_html
from reports.render.junit import render_junit
from reports.render.markdown import render_markdown
from reports.render.report_json import read_report, render_json
from reports.render.text import render_text
from rundir.layout import REPORT_FILES

__all__ = [
    "FORMATS",
    "read_report",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_text",
]

FORMATS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "html": (REPORT_FILES["html"], render_html),
    "md": (REPORT_FILES["md"], render_markdown),
    "json": (REPORT_FILES["json"], render_json),
    "xml": (REPORT_FILES["xml"], render_junit),
}
"""Format name -> (file name in the run directory, renderer)."""
