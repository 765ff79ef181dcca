"""Chat domain: value types, ports and errors. No I/O; no vendor SDKs."""
