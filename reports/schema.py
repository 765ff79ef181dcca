"""The JSON Schema of ``report.json``, generated from ``reports.model.Report``.

``python -m reports.schema`` rewrites docs/report.schema.json; a test fails when the file
and the model disagree, so the published schema never drifts from what reports write.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import msgspec

from reports.model import REPORT_SCHEMA, REPORT_VERSION, Report

__all__ = ["SCHEMA_PATH", "report_schema", "schema_text"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "report.schema.json"


def report_schema() -> dict[str, Any]:
    schema: dict[str, Any] = msgspec.json.schema(Report)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://chaoslab.invalid/schemas/{REPORT_SCHEMA}-v{REPORT_VERSION}.json",
        "title": f"{REPORT_SCHEMA} v{REPORT_VERSION}",
        **schema,
    }


def schema_text() -> str:
    return msgspec.json.format(msgspec.json.encode(report_schema()), indent=2).decode() + "\n"


if __name__ == "__main__":  # pragma: no cover - a developer command
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_PATH}\n")
