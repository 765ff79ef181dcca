"""``report.json``: the ``Report`` as versioned JSON (schema in docs/report.schema.json)."""

from __future__ import annotations

from pathlib import Path

import msgspec

from reports.model import REPORT_SCHEMA, Report

__all__ = ["read_report", "render_json"]


def render_json(report: Report) -> str:
    return msgspec.json.format(msgspec.json.encode(report), indent=2).decode() + "\n"


def read_report(path: Path) -> Report:
    """A saved report.json; ``ValueError`` (one line) if it is not one we can read."""
    try:
        report = msgspec.json.decode(path.read_bytes(), type=Report)
    except FileNotFoundError:
        raise ValueError(f"{path}: no report here; render one with `chaoslab report`") from None
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise ValueError(f"{path}: not a {REPORT_SCHEMA} file ({error})") from None
    return report
