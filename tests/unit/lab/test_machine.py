"""lab.machine reads the kernel's pressure totals and the hypervisor's steal, and a run's
wait is the difference of two readings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab import machine
from rundir.events import MachineWait


def _proc(root: Path, *, cpu: int, io: tuple[int, int], steal: int) -> Path:
    (root / "pressure").mkdir(parents=True, exist_ok=True)
    (root / "pressure" / "cpu").write_text(
        f"some avg10=0.00 avg60=0.00 avg300=0.00 total={cpu}\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    )
    (root / "pressure" / "io").write_text(
        f"some avg10=1.00 avg60=0.50 avg300=0.10 total={io[0]}\n"
        f"full avg10=1.00 avg60=0.50 avg300=0.10 total={io[1]}\n"
    )
    (root / "stat").write_text(
        f"cpu  100 0 50 1000 3 0 1 {steal} 0 0\ncpu0 50 0 25 500 1 0 0 0 0 0\n"
    )
    return root


def test_totals_are_read_in_seconds(tmp_path: Path) -> None:
    """Pressure totals (µs) become seconds; steal ticks become seconds; a missing memory
    file leaves memory unknown."""
    now = machine.read(_proc(tmp_path, cpu=2_500_000, io=(9_000_000, 4_000_000), steal=300))
    ticks = os.sysconf("SC_CLK_TCK")
    assert now == MachineWait(cpu_s=2.5, io_s=9.0, io_full_s=4.0, steal_s=300 / ticks)
    assert now.memory_s is None


def test_the_wait_is_the_difference_of_two_readings(tmp_path: Path) -> None:
    """8 s more of disk pressure between the readings is an 8 s wait on disk."""
    before = machine.read(_proc(tmp_path, cpu=1_000_000, io=(2_000_000, 1_000_000), steal=0))
    after = machine.read(_proc(tmp_path, cpu=1_300_000, io=(10_000_000, 7_000_000), steal=0))
    waited = machine.waited(before, after)
    assert waited.io_s == pytest.approx(8.0)
    assert waited.io_full_s == pytest.approx(6.0)
    assert waited.cpu_s == pytest.approx(0.3)
    assert waited.memory_s is None
    assert waited.steal_s == 0.0


def test_a_machine_without_proc_says_nothing(tmp_path: Path) -> None:
    """No /proc files: every figure None, no error."""
    assert machine.read(tmp_path / "none") == MachineWait()


@pytest.mark.skipif(not Path("/proc/pressure/cpu").exists(), reason="kernel without PSI")
def test_this_machine_reports_its_pressure() -> None:
    """This Linux kernel's real files read as numbers."""
    now = machine.read()
    assert now.cpu_s is not None
    assert now.io_s is not None
    assert now.steal_s is not None
