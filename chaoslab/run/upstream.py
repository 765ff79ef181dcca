"""Copy the fakes' request logs of one run into the run directory (``RUN/upstream/``).

A provider fake of the local stack appends one line per chat request to its request log for
as long as the stack lives (``Component.extra["request_log"]``); a run keeps the lines that
arrived during it, give or take a margin, as ``RUN/upstream/<component name>.jsonl``
(``rundir.UpstreamRecord`` per line), so the report counts upstream attempts per client
request and tokens served without asking the stack anything. Lines are copied as the fakes
wrote them; a line that does not decode (the last one, cut by a fake still writing) is left
out. A fake without a log (compose, external) or whose log cannot be read is skipped.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from rundir import Stack, UpstreamRecord
from rundir.layout import UPSTREAM_DIR, upstream_file

__all__ = ["collect_upstream"]


def collect_upstream(
    stack: Stack, run_dir: Path, *, start: float, end: float, margin_s: float = 5.0
) -> int:
    """Copy each provider's log lines with ``start - margin_s <= t <= end + margin_s`` into
    ``run_dir/upstream/<name>.jsonl`` (overwritten); the number of lines copied."""
    low, high = start - margin_s, end + margin_s
    out_dir = run_dir / UPSTREAM_DIR
    copied = 0
    for part in stack.of_kind("provider"):
        source = part.extra.get("request_log")
        if not isinstance(source, str) or not source:
            continue
        lines = _lines_between(Path(source), low, high)
        if lines is None:
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        upstream_file(run_dir, part.name).write_bytes(b"".join(line + b"\n" for line in lines))
        copied += len(lines)
    return copied


def _lines_between(path: Path, low: float, high: float) -> list[bytes] | None:
    """The valid lines of ``path`` that arrived in ``[low, high]``; None if unreadable."""
    decoder = msgspec.json.Decoder(UpstreamRecord)
    kept: list[bytes] = []
    try:
        with path.open("rb") as log:
            for raw in log:
                line = raw.rstrip(b"\r\n")
                try:
                    t = decoder.decode(line).t
                except msgspec.DecodeError:  # cut by a writer (or not a record): not copied
                    continue
                if low <= t <= high:
                    kept.append(line)
    except OSError:
        return None
    return kept
