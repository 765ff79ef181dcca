"""What ``run_experiment`` is asked (``RunOptions``) and what it answers (``RunResult``,
``RunFailed``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chaoslab.run.plan import LoadPlan

__all__ = ["RunFailed", "RunOptions", "RunResult", "check_out"]


class RunFailed(Exception):
    """An internal error after the run started (faults rolled back, load stopped): one line,
    exit 4; the traceback is in ``RUN/error.txt``."""

    def __init__(self, message: str, run_dir: Path) -> None:
        super().__init__(message)
        self.run_dir = run_dir


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    phase: str
    scenario: str
    duration: float | None = None
    auto_duration: bool = False
    """``--duration auto``: sized from the phase's availability target (``plan.py``)."""
    keep_fault_times: bool = False
    """A longer duration lengthens the steady spans only (set by auto and by ``compare``)."""
    users: int | None = None
    """Closed-model users (``--users``); None: the open model unless the scenario says."""
    rate: float | None = None
    """The open model's offered requests/s (``--rate``); None: the scenario's, else
    ``DEFAULT_RATE``."""
    seed: int | None = None
    """None: the stack's seed (the one ``chaoslab up --seed`` was given)."""
    backend: str = "local"
    out: Path | None = None
    fresh: bool = False
    ui: bool = False
    workers: int | None = 0
    """Locust workers (0: one standalone process; None: ``--workers auto``)."""
    expect_workers: int = 0
    """Workers that join the master from elsewhere, besides ``workers`` started here."""
    master_bind_host: str = "127.0.0.1"
    master_port: int | None = None
    allow_remote: bool = False
    gate: bool = False
    allow_overrides: bool = False
    stack_dir: Path | None = None
    report: bool = True
    command: tuple[str, ...] = ()


@dataclass
class RunResult:
    run_dir: Path
    status: str = "ok"
    reason: str = ""
    exit_code: int = 0
    requests: int = 0
    """The run's requests (sent between run_start and run_end): the report's count."""
    warmup: int = 0
    """Requests sent before run_start (the load's warm-up), not counted anywhere else."""
    availability: float | None = None
    verdict: str = ""
    """The report's status (met, breached, inconclusive, invalid); empty without a report."""
    faults: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    report_text: str = ""
    plan: LoadPlan | None = None


def check_out(out: Path) -> None:
    """``--out`` must be a new or empty directory (checked before anything starts)."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: --out is a file; name a new or empty directory")
    if out.is_dir() and any(out.iterdir()):
        raise FileExistsError(f"{out}: --out must be a new or empty directory")
