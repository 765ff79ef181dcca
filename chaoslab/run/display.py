"""The live line of a run: elapsed, users, RPS, error share, p95 and the active fault.

On a terminal it redraws one line (rich ``Live``); otherwise it prints a line every 5 s.
"""

from __future__ import annotations

import time
from typing import Any

from chaoslab.run.live import LiveStats, Window

__all__ = ["LiveLine"]


class LiveLine:
    """``console=None`` shows nothing (tests, library use)."""

    def __init__(self, console: Any | None, *, users: int | None = None) -> None:
        self.console = console
        self.users = users
        self.rate: float | None = None
        """The open model's offered requests/s (shown instead of users)."""
        self._live: Any = None
        self._last_print = 0.0

    def __enter__(self) -> LiveLine:
        if self.console is not None and self.console.is_terminal:
            from rich.live import Live

            self._live = Live("", console=self.console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def note(self, text: str) -> None:
        if self.console is not None:
            self.console.print(text)
            self.console.file.flush()  # seen at once through a pipe too

    def update(
        self,
        *,
        elapsed: float,
        duration: float,
        stats: LiveStats,
        recent: Window,
        active: list[str],
        final: bool = False,
    ) -> None:
        """Show the line (at most every 5 s without a terminal); ``final``: the run's last
        line, always printed (its count is the report's)."""
        if self.console is None:
            return
        p95 = f"{recent.p95_s:.2f}s" if recent.p95_s is not None else "-"
        users = f" · {self.users} users" if self.users else ""
        if self.rate and not self.users:
            users = f" · {self.rate:g}/s offered"
        line = (
            f"{elapsed:5.0f}/{duration:.0f}s{users} · {recent.rps:5.1f} req/s · "
            f"errors {recent.error_share:6.2%} · p95 {p95} · {stats.total} requests · "
            f"fault: {', '.join(active) if active else 'none'}"
        )
        if final:
            self.__exit__()
            self.console.print(line)
        elif self._live is not None:
            self._live.update(line)
        elif time.monotonic() - self._last_print >= 5.0:
            self._last_print = time.monotonic()
            self.console.print(line)
