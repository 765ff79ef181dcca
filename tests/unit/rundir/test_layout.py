"""The layout tables: what matches what, and the naming of new directories."""

from __future__ import annotations

from pathlib import Path

from rundir.layout import RUN_LAYOUT, STACK_LAYOUT, matches, new_dir


def test_worker_request_logs_and_prom_series_match_their_entries() -> None:
    """`load/requests-<worker>.jsonl` and `prom/<metric>.json` match their own rows."""
    entry = matches(RUN_LAYOUT, "load/requests-worker-12.jsonl")
    assert entry is not None
    assert "RequestRecord" in entry.what
    index = matches(RUN_LAYOUT, "prom/index.json")
    assert index is not None
    assert "saved" in index.what
    series = matches(RUN_LAYOUT, "prom/up.json")
    assert series is not None
    assert "samples" in series.what


def test_an_unknown_file_matches_nothing() -> None:
    """A file no entry names (a stray one at the top, a nested one in load/) is None."""
    assert matches(RUN_LAYOUT, "notes.txt") is None
    assert matches(RUN_LAYOUT, "load/deeper/requests-x.jsonl") is None
    assert matches(STACK_LAYOUT, "stack.json.tmp") is None


def test_a_part_working_file_matches_at_any_depth() -> None:
    """`parts/<name>/**` takes a server's data at any depth."""
    assert matches(STACK_LAYOUT, "parts/prometheus/data/wal/00000000") is not None
    assert matches(STACK_LAYOUT, "parts/prometheus") is None


def test_new_dir_names_by_time_and_never_reuses(tmp_path: Path) -> None:
    """Two directories of one name made at once: distinct, both under the parent."""
    first = new_dir(tmp_path, "v1-x")
    second = new_dir(tmp_path, "v1-x")
    assert first != second
    assert first.parent == second.parent == tmp_path
    assert first.name.endswith("-v1-x")
    assert not new_dir(tmp_path, "v2", mkdir=False).exists()
