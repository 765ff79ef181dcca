"""Fault injection for the lab: Toxiproxy (network faults) through one typed client."""

from lab.faults.toxiproxy import (
    BadRequest,
    Conflict,
    NotFound,
    ProxyHandle,
    ProxyInfo,
    ServerError,
    ToxicInfo,
    ToxiproxyClient,
    ToxiproxyError,
)

__all__ = [
    "BadRequest",
    "Conflict",
    "NotFound",
    "ProxyHandle",
    "ProxyInfo",
    "ServerError",
    "ToxicInfo",
    "ToxiproxyClient",
    "ToxiproxyError",
]
