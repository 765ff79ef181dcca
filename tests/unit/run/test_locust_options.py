"""How the runner starts Locust: the web UI's page outlives the load on a terminal only;
a master for workers from elsewhere waits for all of them."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from chaoslab.run.experiment import UI_KEEP_S, RunOptions, _Run
from chaoslab.run.locust import LocustRun, check_master_bind


def _keep(ui: bool) -> float:
    options = RunOptions(phase="v1", scenario="baseline", ui=ui)
    return _Run._ui_keep_s(SimpleNamespace(options=options))  # type: ignore[arg-type]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ui_page_stays_up_30_s_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """--ui on a terminal: Locust quits 30 s after the load (--autoquit 30)."""
    monkeypatch.setattr(sys, "stdout", _Tty())
    assert _keep(ui=True) == UI_KEEP_S == 30.0
    run = LocustRun(run_dir=Path("r"), config_path=Path("c"), duration=10, ui_port=8089,
                    ui_keep_s=_keep(ui=True))  # fmt: skip
    options = run._main_options()
    assert options[options.index("--autoquit") + 1] == "30"


def test_ui_page_closes_at_once_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """--ui into a pipe or a CI log: nobody reads the page, Locust quits after a second."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert _keep(ui=True) == 0.0
    run = LocustRun(run_dir=Path("r"), config_path=Path("c"), duration=10, ui_port=8089,
                    ui_keep_s=_keep(ui=True))  # fmt: skip
    options = run._main_options()
    assert options[options.index("--autoquit") + 1] == "1"


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_master_needs_no_consent(host: str) -> None:
    """Any loopback address is accepted without --allow-remote."""
    check_master_bind(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "lab-host.example"])
def test_master_beyond_loopback_needs_consent(host: str) -> None:
    """Beyond loopback: refused (naming --allow-remote) unless consented to."""
    with pytest.raises(ValueError, match="--allow-remote"):
        check_master_bind(host, allow_remote=False)
    check_master_bind(host, allow_remote=True)
