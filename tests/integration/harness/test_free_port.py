"""Free loopback ports handed to parts that start at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lab.net import free_port


def test_free_port_never_hands_out_a_port_twice() -> None:
    """Ports picked concurrently in one process are all different, though none is bound yet."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        ports = list(pool.map(lambda _: free_port(), range(500)))
    assert len(set(ports)) == len(ports)
