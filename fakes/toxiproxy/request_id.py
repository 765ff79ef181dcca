"""Request ids as Toxiproxy makes them: a fresh xid per routed API request.

Toxiproxy's router runs zerolog's ``hlog.RequestIDHandler("request_id",
"X-Toxiproxy-Request-Id")``: every request that matches a route gets a new
`xid <https://github.com/rs/xid>`_ in that response header (an id the client sends is not
reused). An xid is 12 bytes (4 of Unix time in seconds, 3 of machine id, 2 of process id, 3 of
a counter that starts at a random value) written as 20 characters of lowercase base32hex.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import secrets
import socket
import time
from typing import Final

__all__ = ["HEADER", "new_request_id"]

HEADER: Final = "X-Toxiproxy-Request-Id"

_MACHINE: Final = hashlib.sha256(socket.gethostname().encode()).digest()[:3]
_counter = itertools.count(secrets.randbits(24))


def new_request_id() -> str:
    """A new xid: ``cv6d0m8a1ncoq7s2o5pg``-like, sortable by creation second."""
    head = (
        int(time.time()).to_bytes(4, "big") + _MACHINE + (os.getpid() & 0xFFFF).to_bytes(2, "big")
    )
    tail = (next(_counter) & 0xFFFFFF).to_bytes(3, "big")
    return base64.b32hexencode(head + tail).decode("ascii").lower().rstrip("=")
