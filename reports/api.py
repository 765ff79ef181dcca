"""``render_all``: a run directory in, every report file and an exit code out.

This is what ``chaoslab report`` and ``chaoslab run --gate`` both call::

    from reports import render_all
    result = render_all(run_dir, gate=True, allow_overrides=False)
    print(result.text)          # the terminal summary
    sys.exit(result.exit_code)  # 0 met, 1 breached, 2 bad input, 3 inconclusive, 4 invalid

``gate`` and ``allow_overrides`` unset: what the run was started with (its ``run_start``),
so ``chaoslab report`` returns what ``chaoslab run`` returned. It reads only files (never a
socket) and writes ``report.{html,md,json,xml}`` into the
run directory (or ``out_dir``); with ``GITHUB_STEP_SUMMARY`` set, the Markdown is appended
to it (so ``chaoslab run --gate`` in a GitHub job shows its verdict). Bad input (no such
directory, a malformed file) is not an exception: the result has exit code 2, no report,
and ``error`` is one line saying what is wrong and how to fix it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reports.build import DEFAULT_QUANTILES, build_report
from reports.model import Report
from reports.render import FORMATS, render_text
from reports.rundata import load_run
from reports.verdict import EXIT_BAD_INPUT
from reports.windows import RECOVERY_WINDOW_S
from rundir import RunDirError

__all__ = ["ReportResult", "render_all"]


@dataclass(frozen=True, kw_only=True)
class ReportResult:
    exit_code: int
    report: Report | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    """Format -> the file written."""
    text: str = ""
    """The terminal summary (empty when the input was bad)."""
    error: str = ""
    """One line, when the input was bad (exit code 2)."""
    warnings: list[str] = field(default_factory=list)
    """Problems after the verdict was known (``GITHUB_STEP_SUMMARY`` not writable): the
    exit code stays the verdict's."""


def render_all(
    run_dir: Path,
    *,
    gate: bool | None = None,
    allow_overrides: bool | None = None,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    recovery_window_s: float = RECOVERY_WINDOW_S,
    formats: Iterable[str] = tuple(FORMATS),
    out_dir: Path | None = None,
) -> ReportResult:
    target = Path(out_dir) if out_dir is not None else Path(run_dir)
    if out_dir is not None and target.exists() and not target.is_dir():
        return ReportResult(
            exit_code=EXIT_BAD_INPUT, error=f"{target}: --out is a file; name a directory"
        )
    try:
        run = load_run(Path(run_dir))
    except RunDirError as error:
        return ReportResult(exit_code=EXIT_BAD_INPUT, error=str(error))
    report = build_report(
        run,
        gate=gate,
        allow_overrides=allow_overrides,
        quantiles=quantiles,
        recovery_window_s=recovery_window_s,
        generated_at=time.time(),
    )
    target.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name in formats:
        file_name, render = FORMATS[name]
        path = target / file_name
        path.write_text(render(report), encoding="utf-8")
        paths[name] = path
    warnings: list[str] = []
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and "md" in paths:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(paths["md"].read_text(encoding="utf-8"))
        except OSError as error:
            warnings.append(
                f"GITHUB_STEP_SUMMARY={summary}: not written ({error.strerror or error})"
            )
    return ReportResult(
        exit_code=report.exit_code,
        report=report,
        paths=paths,
        text=render_text(report),
        warnings=warnings,
    )
