"""No secret in a run directory: a real run's every file is free of the stack's keys,
which live only in the stack's key file (mode 600); stack.json keeps their ids."""

from __future__ import annotations

import stat
from pathlib import Path

from rundir import key_id, read_events, read_stack, stack_keys
from rundir.layout import KEYS_FILE, LOAD_CONFIG_FILE, LOAD_DIR
from tests.e2e.conftest import Finished


def test_no_key_of_the_stack_is_in_any_file_of_a_run_directory(outage_v1: Finished) -> None:
    """Every file of the V1 outage run (stack.json, load/config.json, logs, reports...) is
    scanned for each of the stack's keys: none is there; the key file is mode 600."""
    run_dir = outage_v1.run_dir
    start = next(e for e in read_events(run_dir) if e.kind == "run_start")
    stack_dir = Path(str(start.detail["stack_dir"]))
    keys_file = stack_dir / KEYS_FILE
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    dev, load = stack_keys(read_stack(stack_dir))
    keys = [dev, *load]
    assert len(keys) > 100
    assert all(key.startswith("sk-") for key in keys)
    files = [path for path in run_dir.rglob("*") if path.is_file()]
    assert len(files) > 10
    found = [
        f"{path.relative_to(run_dir)}: {key[:12]}..."
        for path in files
        for text in [path.read_bytes()]
        for key in keys
        if key.encode() in text
    ]
    assert found == []
    on_disk = read_stack(run_dir)
    assert on_disk.api_key == key_id(dev)
    assert on_disk.keys_file == str(keys_file)
    assert str(keys_file) in (run_dir / LOAD_DIR / LOAD_CONFIG_FILE).read_text()
