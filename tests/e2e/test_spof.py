"""`chaoslab spof` on real stacks: the map of single points of failure, measured.

One probe (V1's provider, ~1 min) runs everywhere; the whole V1 and V3 maps (~3 and ~8 min)
only with CHAOSLAB_E2E_ALL=1 (``nox -s e2e``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.campaign import LONG, chaoslab

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]
long_only = pytest.mark.skipif(not LONG, reason="a whole map takes minutes: CHAOSLAB_E2E_ALL=1")


def _spofs(tmp_path: Path, *args: str) -> tuple[dict[str, bool | None], str]:
    done = chaoslab(tmp_path, "spof", *args, "--duration", "16s", "--rate", "4",
                    out=tmp_path / "spof")  # fmt: skip
    assert done.code == 0, done.output[-3000:]
    rows = done.json("spof.json")["rows"]
    return {row["kind"] + ":" + row["target"]: row["spof"] for row in rows}, done.output


def test_v1_losing_its_one_provider_is_a_spof(tmp_path: Path) -> None:
    """One probe on V1 (the CI's short run): the only provider killed, the window fails."""
    found, output = _spofs(tmp_path, "--phase", "v1", "--only", "provider")
    assert found == {"provider:provider:openai": True}, output[-2000:]
    assert "single points of failure" in output


@long_only
def test_v1_store_provider_replica_and_fail_closed_cache_are_spofs(tmp_path: Path) -> None:
    """V1's whole map: every one of its four parts takes the API down when lost."""
    found, output = _spofs(tmp_path, "--phase", "v1")
    assert found == {"replica:replica:1": True, "provider:provider:openai": True,
                     "cache:cache": True, "store:store": True}, output[-3000:]  # fmt: skip


@long_only
def test_v3_has_no_single_provider_or_replica_spof(tmp_path: Path) -> None:
    """V3's map: no one provider and no one replica takes it down (the store still does)."""
    found, output = _spofs(tmp_path, "--phase", "v3")
    for key, spof in found.items():
        if key.startswith(("provider:", "replica:")):
            assert spof is False, f"{key}: {output[-3000:]}"
    assert found["store:store"] is True, output[-3000:]
