"""Copy the load balancer's log lines of one run into the run directory (``RUN/lb/``).

HAProxy logs to stderr with ISO timestamps (``lab.servers.haproxy``): server state changes
with their reason and "no server available". Its log lives as long as the stack; a run keeps
the timestamped lines that fall in its window, give or take a margin, as
``rundir.layout.LB_LOG_FILE``, so the report's timeline reads them from the run directory alone
(as ``chaoslab.run.upstream`` does for the fakes' logs). A stack without HAProxy, or one
whose log cannot be read (compose, external), leaves no file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rundir import Stack
from rundir.layout import LB_LOG_FILE

__all__ = ["collect_lb_log", "line_time"]


def line_time(line: str) -> float | None:
    """The Unix time an ISO-timestamped log line starts with (None: not such a line)."""
    stamp, _, _ = line.partition(" ")
    if len(stamp) < 20 or stamp[4:5] != "-" or "T" not in stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def collect_lb_log(
    stack: Stack, run_dir: Path, *, start: float, end: float, margin_s: float = 5.0
) -> int:
    """Copy the HAProxy log's timestamped lines with ``start - margin_s <= t <= end +
    margin_s`` into ``run_dir / LB_LOG_FILE`` (overwritten); the number of lines copied."""
    parts = [p for p in stack.of_kind("haproxy") if p.log]
    if not parts or parts[0].log is None:
        return 0
    try:
        text = Path(parts[0].log).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    low, high = start - margin_s, end + margin_s
    kept = [
        line
        for line in text.splitlines()
        if (t := line_time(line)) is not None and low <= t <= high
    ]
    target = run_dir / LB_LOG_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
    return len(kept)
