"""Every path name of the lab's directories: where stacks and runs live, every file of a
stack directory and every file of a run directory.

A **stack directory** holds what ``chaoslab up`` started (``.chaoslab/stacks/<time>-<phase>``,
``.chaoslab/current`` points at the last); a **run directory** holds one experiment
(``.chaoslab/runs/<time>-<phase>-<scenario>``). Nothing else in the project spells these
names: it imports them from here (a unit test scans the sources for them), and
``STACK_LAYOUT`` / ``RUN_LAYOUT`` list every file with what it holds (a test walks a real
stack and a real run against them; ``docs/reports.md`` prints ``RUN_LAYOUT``).
"""

from __future__ import annotations

import fnmatch
import time
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "CAPACITY_DIR",
    "COMPARE_DIR",
    "CURRENT_LINK",
    "ERROR_FILE",
    "EVENTS_FILE",
    "FAKE_REQUEST_LOG",
    "KEYS_FILE",
    "LAB_DIR",
    "LB_LOG_FILE",
    "LOAD_CONFIG_FILE",
    "LOAD_DIR",
    "LOAD_SCRAPE_DIR",
    "LOAD_STATS_FILE",
    "LOCUST_LOG",
    "LOCUST_MASTER_LOG",
    "LOCUST_PIDS_FILE",
    "LOCUST_STATS_PREFIX",
    "PARTS_DIR",
    "PROGRESS_FILE",
    "PROM_DIR",
    "PROM_INDEX_FILE",
    "PROM_SCRAPES_FILE",
    "REPORT_FILES",
    "REQUESTS_GLOB",
    "RULES_DIR",
    "RUNNER_LOCK_FILE",
    "RUNS_DIR",
    "RUNS_FILE",
    "RUN_LAYOUT",
    "RUN_REGISTRY",
    "SCENARIO_FILE",
    "SCRAPE_DIR",
    "SPOF_DIR",
    "STACKS_DIR",
    "STACK_FILE",
    "STACK_LAYOUT",
    "STOP_FILE",
    "SUPERVISOR_LOG",
    "SUPERVISOR_PID_FILE",
    "TOKEN_FILE",
    "UPSTREAM_DIR",
    "Entry",
    "locust_worker_log",
    "markdown",
    "matches",
    "new_dir",
    "part_dir",
    "part_log",
    "part_log_name",
    "prom_series_file",
    "requests_file",
    "runner_scrape_file",
    "scrape_file",
    "stamp",
    "upstream_file",
]

# -- where directories live -------------------------------------------------------------

LAB_DIR = Path(".chaoslab")
"""Under the working directory: every stack, run and comparison the lab makes."""
STACKS_DIR = "stacks"
"""``.chaoslab/stacks/<UTC time>-<phase>``: one stack directory per ``chaoslab up``."""
RUNS_DIR = "runs"
"""``.chaoslab/runs/<UTC time>-<phase>-<scenario>``: one run directory per ``chaoslab run``."""
CURRENT_LINK = "current"
"""``.chaoslab/current``: a link to the last stack directory ``chaoslab up`` made."""
RUN_REGISTRY = "runs.jsonl"
"""``.chaoslab/runs.jsonl``: one line per run written outside ``runs/`` (``--out``), so
``chaoslab runs`` lists it too."""
COMPARE_DIR = "compare"
"""``.chaoslab/compare/<UTC time>``: what ``chaoslab compare`` writes."""
SPOF_DIR = "spof"
"""``.chaoslab/spof/<UTC time>-<phase>``: one ``chaoslab spof`` campaign (a run per probe)."""
CAPACITY_DIR = "capacity"
"""``.chaoslab/capacity/<UTC time>``: one ``chaoslab capacity`` search (a run per step)."""

# -- in both -----------------------------------------------------------------------------

STACK_FILE = "stack.json"

# -- a stack directory -------------------------------------------------------------------

SUPERVISOR_LOG = "supervisor.log"
SUPERVISOR_PID_FILE = "supervisor.pid"
ERROR_FILE = "error.txt"
PROGRESS_FILE = "progress.jsonl"
KEYS_FILE = "keys.txt"
RUNS_FILE = "experiments.txt"
RUNNER_LOCK_FILE = "runner.lock"
TOKEN_FILE = "token"  # noqa: S105 - a file's name
PARTS_DIR = "parts"
FAKE_REQUEST_LOG = "requests.jsonl"
RULES_DIR = "rules"
SCRAPE_DIR = "scrape"

# -- a run directory ---------------------------------------------------------------------

EVENTS_FILE = "events.jsonl"
SCENARIO_FILE = "scenario.toml"
LOAD_DIR = "load"
LOAD_CONFIG_FILE = "config.json"
STOP_FILE = "stop-at"
LOAD_STATS_FILE = "stats.json"
LOCUST_PIDS_FILE = "locust-pids.json"
LOCUST_LOG = "locust.log"
LOCUST_MASTER_LOG = "locust-master.log"
LOCUST_STATS_PREFIX = "locust"
"""Locust's ``--csv`` / ``--json-file`` prefix: ``locust_*.csv`` and ``locust.json``."""
REQUESTS_GLOB = "requests*.jsonl"
"""Every worker's request log (``requests-<worker>.jsonl``)."""
LOAD_SCRAPE_DIR = SCRAPE_DIR
"""``load/scrape/``: the run's own copy of its Locust exporters' ``file_sd`` entries."""
PROM_DIR = "prom"
PROM_INDEX_FILE = "index.json"
PROM_SCRAPES_FILE = "scrapes.json"
UPSTREAM_DIR = "upstream"
LB_LOG_FILE = "lb/haproxy.log"
"""The load balancer's log lines of the run (ISO-timestamped HAProxy lines: server up/down
with the reason, "no server available"), copied by the runner from the stack's log."""
REPORT_FILES = {
    "html": "report.html",
    "md": "report.md",
    "json": "report.json",
    "xml": "report.xml",
}
"""``chaoslab report``'s files, by format."""
_FORMATS = {"html": "HTML with plots", "md": "Markdown", "json": "JSON", "xml": "JUnit XML"}


def part_dir(stack_dir: Path, name: str) -> Path:
    """``parts/<name>/``: one server's working directory (its log, data, config)."""
    return stack_dir / PARTS_DIR / name


def part_log_name(name: str) -> str:
    """A server's log in its working directory: ``<name>.log``."""
    return f"{name}.log"


def part_log(stack_dir: Path, name: str) -> Path:
    return part_dir(stack_dir, name) / part_log_name(name)


def scrape_file(directory: Path, name: str) -> Path:
    """A Prometheus ``file_sd`` entry ``<name>.json`` in a scrape directory."""
    return directory / f"{name}.json"


def runner_scrape_file(directory: Path, run_name: str) -> Path:
    """The runner's own ``file_sd`` entry for the run ``run_name``."""
    return scrape_file(directory, f"{run_name}-runner")


def requests_file(run_dir: Path, worker: str) -> Path:
    """``load/requests-<worker>.jsonl``: one Locust process's request log."""
    return run_dir / LOAD_DIR / f"requests-{worker}.jsonl"


def locust_worker_log(run_dir: Path, number: int) -> Path:
    return run_dir / LOAD_DIR / f"locust-worker-{number}.log"


def prom_series_file(run_dir: Path, metric: str) -> Path:
    """``prom/<metric>.json``: the saved samples of one metric."""
    return run_dir / PROM_DIR / f"{metric}.json"


def upstream_file(run_dir: Path, component: str) -> Path:
    """``upstream/<component>.jsonl``: one fake's requests during the run."""
    return run_dir / UPSTREAM_DIR / f"{component}.jsonl"


# -- the tables --------------------------------------------------------------------------


class Entry(NamedTuple):
    """One file (or a family of files) of a directory: a glob relative to it (``**``: one
    folder level or more), which ``chaoslab`` command (or Locust) writes it, what it holds."""

    pattern: str
    writer: str
    what: str


STACK_LAYOUT: tuple[Entry, ...] = (
    Entry(STACK_FILE, "`up`", "the stack: what runs where, how to control it (`rundir.Stack`)"),
    Entry(SUPERVISOR_LOG, "`up`", "the supervisor's log"),
    Entry(SUPERVISOR_PID_FILE, "`up`", "the supervisor's pid, before `stack.json` exists"),
    Entry(ERROR_FILE, "`up`", "one line: why the stack did not start"),
    Entry(PROGRESS_FILE, "`up`", "one `Step` per line while the stack starts"),
    Entry(KEYS_FILE, "`up`", "the API keys the replicas accept (mode 600)"),
    Entry(RUNS_FILE, "`run`", "one run directory per line: the runs that used this stack"),
    Entry(
        TOKEN_FILE,
        "`up`",
        "the stack's token (mode 600): the fakes' fault API and the supervisor's control channel",
    ),
    Entry(
        RUNNER_LOCK_FILE,
        "`run`",
        "the runner lock (`flock`), and who holds it: run directory, pid, start time",
    ),
    Entry(f"{PARTS_DIR}/*/*.log", "`up`", "each server's log, `parts/<name>/<name>.log`"),
    Entry(f"{PARTS_DIR}/*/{FAKE_REQUEST_LOG}", "`up`", "each fake provider's request log"),
    Entry(f"{PARTS_DIR}/*/**", "`up`", "each server's working files (data, configuration)"),
    Entry(
        f"{RULES_DIR}/*.yml",
        "`up`, `run`",
        "Prometheus rules (the run rewrites the run-scaled one)",
    ),
    Entry(f"{SCRAPE_DIR}/*.json", "`run`", "`file_sd` entries: the runner, each Locust process"),
)

RUN_LAYOUT: tuple[Entry, ...] = (
    Entry(STACK_FILE, "`run`", "the stack as the run found it (`rundir.Stack`)"),
    Entry(SCENARIO_FILE, "`run`", "the scenario file as played"),
    Entry(EVENTS_FILE, "`run`", "one `rundir.Event` per line: run, load, faults, checks, abort"),
    Entry(ERROR_FILE, "`run`", "the traceback of an internal error (exit 4)"),
    Entry(f"{LOAD_DIR}/{LOAD_CONFIG_FILE}", "`run`", "the load's `LoadConfig`"),
    Entry(f"{LOAD_DIR}/{STOP_FILE}", "`run`", "when the load stops (Unix time)"),
    Entry(f"{LOAD_DIR}/{LOAD_STATS_FILE}", "`run`", "the load generator's own health"),
    Entry(f"{LOAD_DIR}/{LOCUST_PIDS_FILE}", "`run`", "the Locust process groups (for clean-up)"),
    Entry(f"{LOAD_DIR}/{REQUESTS_GLOB}", "Locust", "one `rundir.RequestRecord` per request"),
    Entry(f"{LOAD_DIR}/{LOCUST_STATS_PREFIX}*.csv", "Locust", "Locust's CSV stats"),
    Entry(f"{LOAD_DIR}/{LOCUST_STATS_PREFIX}.json", "Locust", "Locust's final JSON stats"),
    Entry(f"{LOAD_DIR}/{LOCUST_STATS_PREFIX}*.log", "`run`", "each Locust process's log"),
    Entry(f"{LOAD_DIR}/{LOAD_SCRAPE_DIR}/*.json", "Locust", "`file_sd` entries of the exporters"),
    Entry(f"{PROM_DIR}/{PROM_INDEX_FILE}", "`run`", "what was saved from Prometheus, what failed"),
    Entry(f"{PROM_DIR}/{PROM_SCRAPES_FILE}", "`run`", "per target: scrapes, gaps, failures"),
    Entry(f"{PROM_DIR}/*.json", "`run`", "one metric's raw samples (`RangeResult`)"),
    Entry(f"{UPSTREAM_DIR}/*.jsonl", "`run`", "one `rundir.UpstreamRecord` per fake's request"),
    Entry(LB_LOG_FILE, "`run`", "HAProxy's log lines of the run: server down/up with the reason"),
    *(
        Entry(name, "`run`, `report`", f"the report ({_FORMATS[fmt]})")
        for fmt, name in REPORT_FILES.items()
    ),
)


def matches(layout: tuple[Entry, ...], relative: str) -> Entry | None:
    """The first entry whose pattern matches ``relative`` (a ``/``-separated path inside the
    directory); ``*`` stays within one folder, ``**`` is one folder level or more."""
    parts = relative.split("/")
    for entry in layout:
        if _match(entry.pattern.split("/"), parts):
            return entry
    return None


def _match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(pattern[1:], parts[i:]) for i in range(1, len(parts) + 1))
    return (
        bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(pattern[1:], parts[1:])
    )


def markdown(layout: tuple[Entry, ...]) -> str:
    """The table the docs print for ``layout`` (tested equal to the docs' copy)."""
    rows = ["| file | written by | what |", "| --- | --- | --- |"]
    rows += [f"| `{e.pattern}` | {e.writer} | {e.what} |" for e in layout]
    return "\n".join(rows) + "\n"


# -- naming new directories --------------------------------------------------------------


def stamp(t: float | None = None) -> str:
    """The UTC time a new directory is named after: ``2026-12-01T10-02-11``."""
    return time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(t))


def new_dir(parent: Path, name: str, *, mkdir: bool = True) -> Path:
    """``parent/<UTC time>-<name>`` (``-2``, ``-3``... when taken), made unless ``mkdir``
    is false; the one naming rule of stack, run and comparison directories."""
    base = parent / f"{stamp()}-{name}" if name else parent / stamp()
    path, suffix = base, 1
    while path.exists():
        suffix += 1
        path = base.with_name(f"{base.name}-{suffix}")
    if mkdir:
        path.mkdir(parents=True)
    return path
